import CharRNN
import Foundation
import HTTPTypes

/// An error as OpenAI's API returns it, `{"error": {"message", "type", "param", "code"}}`, with
/// its HTTP status (and, for 429, how long to wait).
struct APIError: Error {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    var param: String?
    var code: String?
    var retryAfterSeconds: Int?

    static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func notFound(_ message: String, code: String = "not_found") -> APIError {
        APIError(status: .notFound, message: message, type: "invalid_request_error", code: code)
    }

    static let bodyTooLarge = APIError(
        status: .contentTooLarge, message: "The request body is larger than \(APIResponder.maxBodyBytes) bytes.",
        type: "invalid_request_error", code: "request_too_large")

    /// The error a serving failure is to the client.
    init(_ error: ServingError, param: String? = nil) {
        switch error {
        case .unknownCharacters(let scalars):
            let names = scalars.prefix(20).map(Self.describe).joined(separator: ", ")
            self = .invalidRequest("The text has characters the model does not know: \(names)"
                                   + (scalars.count > 20 ? " and \(scalars.count - 20) more" : "")
                                   + #"; remove them or send "skip_unknown": true."#,
                                   param: param, code: "unknown_characters")
        case .tooManyStreams(let limit):
            self = APIError(status: .tooManyRequests, message: "All \(limit) generation slots are busy; retry shortly.",
                            type: "rate_limit_error", code: "too_many_streams", retryAfterSeconds: 1)
        case .tooManySessions(let limit):
            self = APIError(status: .tooManyRequests,
                            message: "The server holds its maximum of \(limit) sessions; delete one or wait for one to expire.",
                            type: "rate_limit_error", code: "too_many_sessions", retryAfterSeconds: 5)
        case .unknownSession(let id):
            self = .notFound("No session '\(id)': it never existed, was deleted, or expired.", code: "unknown_session")
        case .sessionBusy(let id):
            self = APIError(status: .conflict, message: "Session '\(id)' is serving another request.",
                            type: "invalid_request_error", code: "session_busy")
        case .notLanguageModel(let task):
            self = .invalidRequest("This server's model is a restoration model (\(task)); it cannot complete, "
                                   + "score or trace text. Use POST /v1/restore.", code: "wrong_model_task")
        case .notRestorationModel:
            self = .invalidRequest("This server's model is a language model; it cannot restore text. "
                                   + "Use POST /v1/completions.", code: "wrong_model_task")
        case .textTooLong(let characters, let limit):
            self = .invalidRequest("The text has \(characters) characters; at most \(limit) are accepted here.",
                                   param: param, code: "text_too_long")
        case .nothingToScore(let known):
            self = .invalidRequest("Scoring needs at least 2 characters the model knows; the text has \(known).",
                                   param: param, code: "nothing_to_score")
        case .noSuchLayer(let what):
            self = .invalidRequest("No such activations: \(what).", param: param ?? "layer", code: "no_such_layer")
        case .shuttingDown:
            self = APIError(status: .serviceUnavailable, message: "The server is shutting down.",
                            type: "server_error", code: "shutting_down")
        }
    }

    init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil,
                 code: String? = nil, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
    }

    static func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
        return scalar.properties.isWhitespace || scalar.value < 0x20 ? hex : "'\(scalar)' (\(hex))"
    }

    var json: [String: Any] {
        ["error": ["message": message, "type": type, "param": param ?? NSNull(), "code": code ?? NSNull()] as [String: Any]]
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
