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

    func respond(to request: Request, context: Context) async throws -> Response {
        let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let (route, handler) = self.route(request.method, segments)
        var response: Response
        do {
            guard let handler else {
                if route != "other" {
                    throw APIError(status: .methodNotAllowed, message: "\(request.method) is not served at \(route).",
                                   type: "invalid_request_error", code: "method_not_allowed")
                }
                throw APIError.notFound("No route \(request.method) \(request.uri.path); see GET /openapi.json.")
            }
            response = try await handler(request)
        } catch let error as APIError {
            response = Self.errorResponse(error)
        } catch let error as ServingError {
            response = Self.errorResponse(APIError(error))
        } catch {
            response = Self.errorResponse(APIError(status: .internalServerError, message: "\(error)",
                                                   type: "server_error"))
        }
        metrics.countRequest(route: route, status: response.status.code)
        return response
    }

    private typealias Handler = (Request) async throws -> Response

    /// The route's name (for metrics) and its handler; no handler for an unknown method on a known
    /// route (405), nor for an unknown route ("other", 404).
    private func route(_ method: HTTPRequest.Method, _ segments: [String]) -> (String, Handler?) {
        // /v1/sessions/{id} and /v1/sessions/{id}/{action}
        if segments.count >= 3 && segments.count <= 4 && segments[0] == "v1" && segments[1] == "sessions" {
            let id = segments[2]
            switch (method, segments.count == 4 ? segments[3] : nil) {
            case (.post, "feed"): return ("/v1/sessions/{id}/feed", { try await feedSession($0, id: id) })
            case (.post, "complete"): return ("/v1/sessions/{id}/complete", { try await complete($0, session: id) })
            case (.delete, nil): return ("/v1/sessions/{id}", { _ in try deleteSession(id) })
            case (_, nil): return ("/v1/sessions/{id}", nil)
            case (_, "feed"), (_, "complete"): return ("/v1/sessions/{id}/" + segments[3], nil)
            default: return ("other", nil)
            }
        }
        let path = "/" + segments.joined(separator: "/")
        switch (method, path) {
        case (.get, "/"): return ("/", { _ in page() })
        case (.get, "/health"): return ("/health", { _ in health() })
        case (.get, "/metrics"): return ("/metrics", { _ in metricsText() })
        case (.get, "/openapi.json"):
            return ("/openapi.json", { _ in Self.raw(OpenAPIDocument.json, type: "application/json") })
        case (.get, "/v1/models"): return ("/v1/models", { _ in models() })
        case (.post, "/v1/completions"): return ("/v1/completions", { try await complete($0, session: nil) })
        case (.post, "/v1/score"): return ("/v1/score", { try await score($0) })
        case (.post, "/v1/restore"): return ("/v1/restore", { try await restore($0) })
        case (.post, "/v1/activations"): return ("/v1/activations", { try await activations($0) })
        case (.post, "/v1/sessions"): return ("/v1/sessions", { try await createSession($0) })
        case (_, "/"), (_, "/health"), (_, "/metrics"), (_, "/openapi.json"), (_, "/v1/models"), (_, "/v1/completions"),
             (_, "/v1/score"), (_, "/v1/restore"), (_, "/v1/activations"), (_, "/v1/sessions"):
            return (path, nil)
        default: return ("other", nil)
        }
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
