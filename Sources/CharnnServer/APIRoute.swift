import HTTPTypes
import Hummingbird

/// One operation of the API: a method on a path template, and what serves it. `APIResponder.routes`
/// lists every one; dispatch, the 404/405 split, the metrics label and the contract test
/// (`OpenAPIContractTests`: each route is in docs/openapi.json and each operation there is a route)
/// all read that table.
struct APIRoute: Sendable {
    typealias Handler = @Sendable (APIResponder, Request, Parameters) async throws -> Response

    let method: HTTPRequest.Method
    /// Written as in the OpenAPI document's `paths`: `/v1/sessions/{id}/feed`. A `{name}` segment
    /// matches any one segment, which the handler reads as `parameters["name"]`.
    let path: String
    let handle: Handler
    private let template: [Segment]

    private enum Segment: Sendable {
        case literal(String)
        case parameter(String)
    }

    init(_ method: HTTPRequest.Method, _ path: String, _ handle: @escaping Handler) {
        self.method = method
        self.path = path
        self.handle = handle
        template = path.split(separator: "/").map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}")
                ? .parameter(String(segment.dropFirst().dropLast())) : .literal(String(segment))
        }
    }

    /// The label of `charnn_requests_total`: the template, so that sessions share one series.
    var name: String { path }

    /// The path parameters if `segments` (a request path split at `/`, empty segments dropped)
    /// fits the template, whatever the method.
    func match(_ segments: [Substring]) -> Parameters? {
        guard segments.count == template.count else { return nil }
        var values: [String: String] = [:]
        for (segment, expected) in zip(segments, template) {
            switch expected {
            case .literal(let literal): guard segment == literal else { return nil }
            case .parameter(let name): values[name] = String(segment)
            }
        }
        return Parameters(values: values)
    }

    /// Where a request goes: the route that serves it, or why none does.
    enum Dispatch {
        case serve(APIRoute, Parameters)
        /// The path fits a template (`path`), but no route has this method: 405.
        case methodNotAllowed(path: String)
        /// No template fits: 404.
        case notFound

        /// The label of `charnn_requests_total`.
        var routeName: String {
            switch self {
            case .serve(let route, _): route.name
            case .methodNotAllowed(let path): path
            case .notFound: "other"
            }
        }
    }

    /// The first route in `routes` whose template fits `segments` with `method`.
    static func dispatch(_ method: HTTPRequest.Method, _ segments: [Substring], in routes: [APIRoute]) -> Dispatch {
        var pathServed: String?
        for route in routes {
            guard let parameters = route.match(segments) else { continue }
            if route.method == method { return .serve(route, parameters) }
            pathServed = pathServed ?? route.path
        }
        return pathServed.map { .methodNotAllowed(path: $0) } ?? .notFound
    }

    /// The `{name}` segments of a matched path.
    struct Parameters: Sendable {
        fileprivate let values: [String: String]

        /// A name the route's template does not have is a programmer error.
        subscript(name: String) -> String {
            guard let value = values[name] else { preconditionFailure("no {\(name)} in this route's path") }
            return value
        }
    }
}
