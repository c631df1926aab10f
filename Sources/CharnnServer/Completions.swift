import CharRNN
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// POST /v1/completions and POST /v1/sessions/{id}/complete: OpenAI's legacy completions, whole or
/// streamed as server-sent events (chunks of the same shape, then `data: [DONE]`).
extension APIResponder {
    /// The largest `logprobs` (alternatives per character).
    static let maxAlternatives = OpenAPIDocument.maxLogprobs
    /// The most stop texts, and the longest, in bytes.
    static let maxStops = OpenAPIDocument.maxStops
    static let maxStopBytes = 64

    /// The fields every response and chunk of one completion shares.
    struct CompletionHeader: Sendable {
        var id: String
        var created: Int
        var model: String

        func object(choices: [Any]) -> [String: Any] {
            ["id": id, "object": "text_completion", "created": created, "model": model, "choices": choices]
        }
    }

    /// A completion request, validated.
    struct CompletionRequest: Sendable {
        var prime: [Int32]
        var promptText: String
        var unknownSkipped: Int
        var settings: [GenerationSettings]
        var stream: Bool
        var includeUsage: Bool
        var echo: Bool
        var logprobs: Int?
        var ignored: [String]
    }

    func parseCompletion(_ fields: inout RequestFields, session: String?) throws -> CompletionRequest {
        _ = try fields.string("model")  // one model per server: any name is this one
        _ = try fields.string("user")
        let prompt: String
        switch try fields.strings("prompt") {
        case nil: prompt = ""
        case let list? where list.count <= 1: prompt = list.first ?? ""
        case let list?:
            throw APIError.invalidRequest("One prompt per request (got \(list.count)); use n for several completions.",
                                          param: "prompt", code: "invalid_value")
        }
        let skipUnknown = try fields.bool("skip_unknown") ?? false
        let (prime, unknown): ([Int32], Int)
        do {
            (prime, unknown) = try served.encode(prompt, skipUnknown: skipUnknown)
        } catch {
            throw APIError(error, param: "prompt")
        }
        let length = try fields.integer("max_tokens") ?? OpenAPIDocument.defaultMaxTokens
        guard length >= 0 && length <= configuration.maxLength else {
            throw APIError.invalidRequest("max_tokens must be in 0…\(configuration.maxLength) (this server's "
                                          + "--max-length), got \(length).", param: "max_tokens", code: "invalid_value")
        }
        let temperature = try fields.double("temperature") ?? OpenAPIDocument.defaultTemperature
        guard temperature >= 0 && temperature.isFinite else {
            throw APIError.invalidRequest("temperature must be 0 (greedy) or positive, got \(temperature).",
                                          param: "temperature", code: "invalid_value")
        }
        let topP = try fields.double("top_p") ?? OpenAPIDocument.defaultTopP
        guard topP > 0 && topP <= 1 else {
            throw APIError.invalidRequest("top_p must be in (0, 1], got \(topP).", param: "top_p", code: "invalid_value")
        }
        let topK = try fields.integer("top_k") ?? OpenAPIDocument.defaultTopK
        guard topK >= 0 else {
            throw APIError.invalidRequest("top_k must be 0 (off) or positive, got \(topK).", param: "top_k",
                                          code: "invalid_value")
        }
        let stops = try fields.strings("stop") ?? []
        guard stops.count <= Self.maxStops, stops.allSatisfy({ $0.utf8.count <= Self.maxStopBytes }) else {
            throw APIError.invalidRequest("stop takes at most \(Self.maxStops) texts of at most \(Self.maxStopBytes) bytes.",
                                          param: "stop", code: "invalid_value")
        }
        let n = try fields.integer("n") ?? OpenAPIDocument.defaultChoices
        let maxChoices = session == nil ? configuration.maxChoices : 1
        guard n >= 1 && n <= maxChoices else {
            throw APIError.invalidRequest("n must be in 1…\(maxChoices)\(session == nil ? "" : " for a session"), got \(n).",
                                          param: "n", code: "invalid_value")
        }
        let logprobs = try fields.integer("logprobs")
        if let logprobs, logprobs < 0 || logprobs > Self.maxAlternatives {
            throw APIError.invalidRequest("logprobs must be in 0…\(Self.maxAlternatives), got \(logprobs).",
                                          param: "logprobs", code: "invalid_value")
        }
        let seed = try fields.seed("seed")
        let stream = try fields.bool("stream") ?? false
        let includeUsage = try fields.object("stream_options").map { options -> Bool in
            if case .bool(true) = options["include_usage"] { return true }
            return false
        } ?? false
        let echo = try fields.bool("echo") ?? false
        // Choice i samples with seed + i, so choice 0 of a seeded request is `charnn sample --seed`.
        let base = seed ?? UInt64.random(in: .min ... .max)
        let settings = (0..<n).map { index in
            GenerationSettings(length: length, temperature: temperature, topK: topK, topP: topP,
                               seed: base &+ UInt64(index), stops: stops,
                               alternatives: logprobs.map { max($0, 1) } ?? 0)
        }
        return CompletionRequest(prime: prime, promptText: prompt, unknownSkipped: unknown, settings: settings,
                                 stream: stream, includeUsage: includeUsage, echo: echo, logprobs: logprobs,
                                 ignored: fields.unread)
    }

    func complete(_ request: Request, session: String?) async throws -> Response {
        if let session { try served.sessions?.requireExists(session) }
        var fields = try await fields(of: request, allowEmpty: session != nil)
        let parsed = try parseCompletion(&fields, session: session)
        var generations: [Generation] = []
        do {
            for settings in parsed.settings {
                if let session {
                    generations.append(try served.generate(session: session, prime: parsed.prime, settings: settings))
                } else {
                    generations.append(try served.generate(prime: parsed.prime, settings: settings))
                }
            }
        } catch {
            for generation in generations { generation.cancel() }
            throw error
        }
        let id = "cmpl-" + String(UInt64.random(in: .min ... .max), radix: 16)
        let created = Int(Date().timeIntervalSince1970)
        let header = CompletionHeader(id: id, created: created, model: served.name)
        if parsed.stream {
            return streamed(generations, parsed: parsed, header: header)
        }
        return try await whole(generations, parsed: parsed, header: header)
    }

    /// Every choice collected, then one JSON response.
    private func whole(_ generations: [Generation], parsed: CompletionRequest, header: CompletionHeader) async throws -> Response {
        var choices: [[String: Any]] = []
        var generatedTotal = 0
        for (index, generation) in generations.enumerated() {
            var text = parsed.echo ? parsed.promptText : ""
            var logprobs: [CharacterLogprob] = []
            var reason = FinishReason.length
            for await event in generation.events {
                switch event {
                case .text(let piece, let pieceLogprobs):
                    text += piece
                    logprobs += pieceLogprobs
                case .finished(let why, let generated, _):
                    reason = why
                    generatedTotal += generated
                    metrics.charactersGenerated.increment(by: Int64(generated))
                }
            }
            let offset = parsed.echo ? parsed.promptText.unicodeScalars.count : 0
            choices.append(["text": text, "index": index, "finish_reason": reason.rawValue,
                            "logprobs": parsed.logprobs.map { Self.logprobsJSON(logprobs, top: $0, offset: offset) }
                                ?? NSNull()])
        }
        var body = header.object(choices: choices)
        body["usage"] = usage(parsed, generated: generatedTotal)
        return Self.json(body, ignored: parsed.ignored)
    }

    /// Server-sent events: one chunk per batch of released text per choice (all the text released
    /// since the previous chunk was written), a final chunk with the finish reason per choice, the
    /// usage chunk if asked, then `[DONE]`. A client that goes away
    /// cancels its generations (their slots free at the next step).
    private func streamed(_ generations: [Generation], parsed: CompletionRequest, header: CompletionHeader) -> Response {
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        if !parsed.ignored.isEmpty, let name = HTTPField.Name("X-Charnn-Ignored-Fields") {
            headers[name] = parsed.ignored.joined(separator: ", ")
        }
        let metrics = self.metrics
        let chunks = CompletionChunks(header: header)
        let body = ResponseBody { writer in
            var finished = false
            defer { if !finished { for generation in generations { generation.cancel() } } }
            var offsets = [Int](repeating: 0, count: generations.count)
            var generatedTotal = 0
            func write(_ buffer: ByteBuffer) async throws {
                let started = ContinuousClock.now
                try await writer.write(buffer)
                metrics.observeStage(.write, since: started)
            }
            func send(_ object: [String: Any]) async throws {
                let started = ContinuousClock.now
                let data = try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])
                var buffer = ByteBuffer(string: "data: ")
                buffer.writeBytes(data)
                buffer.writeString("\n\n")
                metrics.observeStage(.encode, since: started)
                try await write(buffer)
            }
            func chunk(_ choice: [String: Any]) -> [String: Any] {
                header.object(choices: [choice])
            }
            /// Text-only chunks are written by hand; with logprobs, through JSONSerialization.
            func handle(_ index: Int, _ event: GenerationEvent) async throws {
                switch event {
                case .text(let piece, let logprobs):
                    if let top = parsed.logprobs {
                        let logprobsJSON = Self.logprobsJSON(logprobs, top: top, offset: offsets[index])
                        offsets[index] += piece.unicodeScalars.count
                        try await send(chunk(["text": piece, "index": index, "logprobs": logprobsJSON,
                                              "finish_reason": NSNull()]))
                    } else {
                        offsets[index] += piece.unicodeScalars.count
                        let started = ContinuousClock.now
                        let buffer = chunks.event(text: piece, index: index)
                        metrics.observeStage(.encode, since: started)
                        try await write(buffer)
                    }
                case .finished(let reason, let generated, _):
                    generatedTotal += generated
                    metrics.charactersGenerated.increment(by: Int64(generated))
                    try await write(chunks.event(text: "", index: index, finishReason: reason.rawValue))
                }
            }
            if parsed.echo {
                for index in generations.indices {
                    try await send(chunk(["text": parsed.promptText, "index": index, "logprobs": NSNull(),
                                          "finish_reason": NSNull()]))
                    offsets[index] = parsed.promptText.unicodeScalars.count
                }
            }
            if generations.count == 1 {
                // Straight from the generation's events: text released while a write was under way
                // arrives as one event (`GenerationEvents`), so one chunk.
                for await event in generations[0].events { try await handle(0, event) }
            } else {
                for await (index, event) in Self.merge(generations) { try await handle(index, event) }
            }
            finished = true
            if parsed.includeUsage {
                var object = header.object(choices: [])
                object["usage"] = usage(parsed, generated: generatedTotal)
                try await send(object)
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    private func usage(_ parsed: CompletionRequest, generated: Int) -> [String: Int] {
        ["prompt_tokens": parsed.prime.count, "completion_tokens": generated,
         "total_tokens": parsed.prime.count + generated]
    }

    /// The events of several generations, each tagged with its choice index, as they come.
    static func merge(_ generations: [Generation]) -> AsyncStream<(Int, GenerationEvent)> {
        let (merged, continuation) = AsyncStream<(Int, GenerationEvent)>.makeStream()
        if generations.count == 1 {
            Task {
                for await event in generations[0].events { continuation.yield((0, event)) }
                continuation.finish()
            }
            return merged
        }
        Task {
            await withTaskGroup(of: Void.self) { group in
                for (index, generation) in generations.enumerated() {
                    group.addTask { for await event in generation.events { continuation.yield((index, event)) } }
                }
            }
            continuation.finish()
        }
        return merged
    }

    /// OpenAI's legacy `logprobs` object; `offset` is where the first character stands in the
    /// choice's text, in Unicode scalars.
    static func logprobsJSON(_ logprobs: [CharacterLogprob], top: Int, offset: Int) -> [String: Any] {
        var offsets: [Int] = []
        var position = offset
        for entry in logprobs {
            offsets.append(position)
            position += entry.character.unicodeScalars.count
        }
        return [
            "tokens": logprobs.map(\.character),
            "token_logprobs": logprobs.map(\.logprob),
            "top_logprobs": logprobs.map { entry in
                Dictionary(entry.alternatives.prefix(top).map { ($0.character, $0.logprob) },
                           uniquingKeysWith: { first, _ in first })
            },
            "text_offset": offsets,
        ]
    }
}
