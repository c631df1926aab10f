import CharRNN
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Routes every request of the API and turns every failure into an OpenAI-style JSON error: the
/// server answers bad input with a 4xx and keeps serving; it never throws to Hummingbird (whose
/// fallback for an unknown error is an empty 500).
///
/// Unknown body fields are ignored, as llama.cpp and vLLM do, so recipes written for them work
/// unchanged; their names are returned in the `X-Charnn-Ignored-Fields` header.
struct APIResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    /// Largest request body; larger ones get 413.
    static let maxBodyBytes = 1 << 20

    let served: ServedModel
    let configuration: ServerConfiguration
    let metrics: ServerMetrics

    /// Every operation the server answers, once. A path that fits no template is 404 (metrics
    /// route "other"); one that fits a template but not with this method is 405.
    static let routes: [APIRoute] = [
        APIRoute(.get, "/") { responder, _, _ in responder.page() },
        APIRoute(.get, "/health") { responder, _, _ in responder.health() },
        APIRoute(.get, "/metrics") { responder, _, _ in responder.metricsText() },
        APIRoute(.get, "/openapi.json") { _, _, _ in raw(OpenAPIDocument.json, type: "application/json") },
        APIRoute(.get, "/v1/models") { responder, _, _ in responder.models() },
        APIRoute(.post, "/v1/completions") { responder, request, _ in try await responder.complete(request, session: nil) },
        APIRoute(.post, "/v1/score") { responder, request, _ in try await responder.score(request) },
        APIRoute(.post, "/v1/restore") { responder, request, _ in try await responder.restore(request) },
        APIRoute(.post, "/v1/activations") { responder, request, _ in try await responder.activations(request) },
        APIRoute(.post, "/v1/sessions") { responder, request, _ in try await responder.createSession(request) },
        APIRoute(.delete, "/v1/sessions/{id}") { responder, _, path in try responder.deleteSession(path["id"]) },
        APIRoute(.post, "/v1/sessions/{id}/feed") { responder, request, path in
            try await responder.feedSession(request, id: path["id"])
        },
        APIRoute(.post, "/v1/sessions/{id}/complete") { responder, request, path in
            try await responder.complete(request, session: path["id"])
        },
    ]

    func respond(to request: Request, context: Context) async throws -> Response {
        let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: true)
        let dispatch = APIRoute.dispatch(request.method, segments, in: Self.routes)
        var response: Response
        do {
            switch dispatch {
            case .serve(let route, let parameters):
                response = try await route.handle(self, request, parameters)
            case .methodNotAllowed(let path):
                throw APIError(status: .methodNotAllowed, message: "\(request.method) is not served at \(path).",
                               type: "invalid_request_error", code: "method_not_allowed")
            case .notFound:
                throw APIError.notFound("No route \(request.method) \(request.uri.path); see GET /openapi.json.")
            }
        } catch let error as APIError {
            response = Self.errorResponse(error)
        } catch let error as ServingError {
            response = Self.errorResponse(APIError(error))
        } catch {
            response = Self.errorResponse(APIError(status: .internalServerError, message: "\(error)",
                                                   type: "server_error"))
        }
        metrics.countRequest(route: dispatch.routeName, status: response.status.code)
        return response
    }

    // MARK: - Bodies and responses

    /// The request's JSON object; 413 past `maxBodyBytes` (read no further).
    func fields(of request: Request, allowEmpty: Bool = false) async throws -> RequestFields {
        let body = request.body
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: Self.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge
        }
        if allowEmpty && buffer.readableBytes == 0 { return try RequestFields(body: Data("{}".utf8)) }
        return try RequestFields(body: Data(buffer.readableBytesView))
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok, ignored: [String] = []) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if !ignored.isEmpty, let name = HTTPField.Name("X-Charnn-Ignored-Fields") {
            headers[name] = ignored.joined(separator: ", ")
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func raw(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func errorResponse(_ error: APIError) -> Response {
        var response = json(error.json, status: error.status)
        if let seconds = error.retryAfterSeconds { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    // MARK: - Small routes

    private func page() -> Response {
        Self.raw(PlaygroundPage.html, type: "text/html; charset=utf-8")
    }

    private func health() -> Response {
        Self.json(["status": "ok", "model": served.name,
                   "active_streams": served.batcher?.activeStreams ?? 0,
                   "active_sessions": served.sessions?.count ?? 0])
    }

    private func metricsText() -> Response {
        metrics.activeStreams.set(Double(served.batcher?.activeStreams ?? 0))
        metrics.activeSessions.set(Double(served.sessions?.count ?? 0))
        return Self.raw(metrics.registry.emitToString(), type: "text/plain; version=0.0.4; charset=utf-8")
    }

    private func models() -> Response {
        Self.json(["object": "list", "data": [ModelCard.json(served)]])
    }
}
