import CharRNN
import Foundation
import Hummingbird

/// Scoring, restoration, activation traces and sessions.
extension APIResponder {
    /// Units listed as most active in a trace.
    static let mostActiveCount = 16

    func score(_ request: Request) async throws -> Response {
        var fields = try await fields(of: request)
        let text = try requiredText(&fields)
        // As `charnn eval`: unknown characters are skipped and counted.
        let (ids, unknown) = try served.encode(text, skipUnknown: true)
        let result: EvaluationResult
        do {
            result = try await served.score(ids: ids, unknown: unknown)
        } catch {
            throw APIError(error, param: "text")
        }
        return Self.json(["object": "score", "model": served.name, "nats_per_char": result.natsPerChar,
                          "bits_per_char": result.bitsPerChar, "perplexity": result.perplexity,
                          "chars_scored": result.charsScored, "unknown_skipped": result.unknownSkipped],
                         ignored: fields.unread)
    }

    func restore(_ request: Request) async throws -> Response {
        var fields = try await fields(of: request)
        let text = try requiredText(&fields)
        let restored: String
        do {
            restored = try await served.restore(text)
        } catch {
            throw APIError(error, param: "text")
        }
        return Self.json(["object": "restoration", "model": served.name, "task": served.task.rawValue, "text": restored],
                         ignored: fields.unread)
    }

    /// Layer `layer`'s hidden (or cell) activations after each character, as base64 of
    /// little-endian Float32, row-major (characters, units); at most `maxTracedValues` numbers.
    func activations(_ request: Request) async throws -> Response {
        var fields = try await fields(of: request)
        let text = try requiredText(&fields)
        let layer = try fields.integer("layer") ?? OpenAPIDocument.defaultActivationLayer
        let quantityName = try fields.string("quantity") ?? "hidden"
        guard let quantity = UnrolledNetwork<Float>.RecordedQuantity(rawValue: quantityName) else {
            throw APIError.invalidRequest("quantity must be hidden or cell, got \(quantityName).", param: "quantity",
                                          code: "invalid_value")
        }
        let skipUnknown = try fields.bool("skip_unknown") ?? false
        let ids: [Int32]
        do {
            ids = try served.encode(text, skipUnknown: skipUnknown).ids
        } catch {
            throw APIError(error, param: "text")
        }
        let values: [Float]
        do {
            values = try await served.trace(ids: ids, layer: layer, quantity: quantity)
        } catch {
            throw APIError(error, param: "text")
        }
        let H = served.config.hiddenSize
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return Self.json(["object": "activations", "model": served.name, "layer": layer, "quantity": quantity.rawValue,
                          "characters": ids.map { served.vocabulary.symbol($0) }, "units": H,
                          "shape": [ids.count, H], "encoding": "base64-float32le",
                          "data": Data(bytes).base64EncodedString(),
                          "most_active_units": Self.mostActiveUnits(values, units: H)],
                         ignored: fields.unread)
    }

    /// The units whose activation varies most over the text (largest standard deviation): a unit
    /// stuck at ±1 says nothing, one that swings tracks something.
    static func mostActiveUnits(_ values: [Float], units H: Int) -> [Int] {
        let N = values.count / H
        guard N > 0 else { return [] }
        var spread = [Double](repeating: 0, count: H)
        for unit in 0..<H {
            var sum = 0.0, squares = 0.0
            for row in 0..<N {
                let value = Double(values[row * H + unit])
                sum += value
                squares += value * value
            }
            let mean = sum / Double(N)
            spread[unit] = squares / Double(N) - mean * mean
        }
        return Array((0..<H).sorted { spread[$0] > spread[$1] }.prefix(mostActiveCount))
    }

    func createSession(_ request: Request) async throws -> Response {
        guard let sessions = served.sessions else { throw ServingError.notLanguageModel(task: served.task.rawValue) }
        let fields = try await fields(of: request, allowEmpty: true)
        let id = try sessions.create()
        return Self.json(["id": id, "object": "session", "model": served.name,
                          "expires_after_idle_seconds": Int(configuration.sessionTimeToLive.components.seconds)],
                         status: .created, ignored: fields.unread)
    }

    func feedSession(_ request: Request, id: String) async throws -> Response {
        try served.sessions?.requireExists(id)
        var fields = try await fields(of: request)
        let text = try requiredText(&fields)
        let skipUnknown = try fields.bool("skip_unknown") ?? false
        let (ids, unknown): ([Int32], Int)
        do {
            (ids, unknown) = try served.encode(text, skipUnknown: skipUnknown)
        } catch {
            throw APIError(error, param: "text")
        }
        try await served.feed(session: id, text: ids)
        return Self.json(["id": id, "object": "session", "fed": ids.count, "unknown_skipped": unknown],
                         ignored: fields.unread)
    }

    func deleteSession(_ id: String) throws -> Response {
        guard let sessions = served.sessions else { throw ServingError.notLanguageModel(task: served.task.rawValue) }
        try sessions.delete(id)
        return Self.json(["id": id, "object": "session", "deleted": true])
    }

    private func requiredText(_ fields: inout RequestFields) throws -> String {
        guard let text = try fields.string("text") else {
            throw APIError.invalidRequest("Missing required field 'text'.", param: "text", code: "missing_field")
        }
        return text
    }
}
