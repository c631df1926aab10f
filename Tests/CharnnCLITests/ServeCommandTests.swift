import Foundation
import XCTest

/// `charnn serve` with real clients on loopback: the seeded-equals-`charnn sample` property (LSTM
/// and GRU, alone and batched with other streams), streaming, sessions, scoring, errors, limits,
/// metrics, and shutdown.
final class ServeCommandTests: CLITestCase {
    private func serve(_ checkpoint: String, _ extra: [String] = []) throws -> ServerUnderTest {
        try ServerUnderTest(sandbox: sandbox, checkpoint: checkpoint, extra: extra)
    }

    /// What `charnn sample` prints after the prime (its trailing line break removed).
    private func sampled(_ checkpoint: String, prime: String, seed: UInt64, temp: Double, topK: Int, topP: Double,
                         length: Int, weights: String = "f32") throws -> String {
        let result = try sandbox.run(["sample", "--checkpoint", checkpoint, "--prime", prime, "--seed", "\(seed)",
                                      "--temp", "\(temp)", "--top-k", "\(topK)", "--top-p", "\(topP)",
                                      "--length", "\(length)", "--weights", weights])
        assertSuccess(result, "sample")
        var text = result.out
        XCTAssertTrue(text.hasPrefix(prime) && text.hasSuffix("\n"), text.debugDescription)
        text.removeFirst(prime.count)
        text.removeLast()
        return text
    }

    // MARK: The property: a seeded request returns what `charnn sample` prints

    private func assertSeededCompletionsEqualSample(cell: String, weights: String = "f32") throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: cell, extra: ["--cell", cell])
        let server = try serve(checkpoint, ["--weights", weights])
        let card = try XCTUnwrap((try server.get("/v1/models").json()["data"] as? [[String: Any]])?.first)
        XCTAssertEqual(card["weights"] as? String, weights)
        let cases: [(prime: String, seed: UInt64, temp: Double, topK: Int, topP: Double, length: Int)] = [
            ("", 1, 0.8, 0, 1, 120), ("The ", 7, 1.0, 0, 1, 80), ("ab", 3, 0.5, 5, 1, 60),
            ("the", 99, 1.2, 0, 0.9, 60), ("a", 5, 0, 0, 1, 40), ("b", UInt64.max, 0.8, 3, 0.8, 50),
        ]
        // One at a time (batch of 1) …
        for item in cases {
            let expected = try sampled(checkpoint, prime: item.prime, seed: item.seed, temp: item.temp, topK: item.topK,
                                       topP: item.topP, length: item.length, weights: weights)
            let served = try server.completion(["prompt": item.prime, "seed": item.seed, "temperature": item.temp,
                                                "top_k": item.topK, "top_p": item.topP, "max_tokens": item.length])
            XCTAssertEqual(served, expected, "\(cell) \(weights) \(item)")
        }
        // … and all at once, so that each is a row of a batched step among the others.
        let replies = Array(repeating: "", count: cases.count)
        let results = Locked(replies)
        DispatchQueue.concurrentPerform(iterations: cases.count) { index in
            let item = cases[index]
            let text = try? server.completion(["prompt": item.prime, "seed": item.seed, "temperature": item.temp,
                                               "top_k": item.topK, "top_p": item.topP, "max_tokens": item.length])
            results.update { $0[index] = text ?? "<failed>" }
        }
        for (index, item) in cases.enumerated() {
            let expected = try sampled(checkpoint, prime: item.prime, seed: item.seed, temp: item.temp, topK: item.topK,
                                       topP: item.topP, length: item.length, weights: weights)
            XCTAssertEqual(results.value[index], expected, "\(cell) \(weights), concurrent: \(item)")
        }
    }

    func testSeededCompletionEqualsSampleLSTM() throws {
        try assertSeededCompletionsEqualSample(cell: "lstm")
    }

    func testSeededCompletionEqualsSampleGRU() throws {
        try assertSeededCompletionsEqualSample(cell: "gru")
    }

    func testSeededCompletionEqualsSampleLayerNormLSTM() throws {
        try assertSeededCompletionsEqualSample(cell: "lstm-ln")
    }

    /// With --weights f16 the batcher runs the half-precision step: what `charnn sample --weights f16`
    /// prints, alone and among other streams.
    func testSeededCompletionEqualsSampleWithHalfWeights() throws {
        try assertSeededCompletionsEqualSample(cell: "lstm", weights: "f16")
        try assertSeededCompletionsEqualSample(cell: "gru", weights: "f16")
    }

    func testHalfWeightsServeLanguageModelsOnly() throws {
        let restorer = try trainTiny(corpus: corpus(), out: "restore", steps: 10,
                                     extra: ["--task", "restore-case", "--bidirectional"])
        let result = try sandbox.run(["serve", "--checkpoint", restorer, "--port", "0", "--weights", "f16"])
        XCTAssertEqual(result.ending, .exited(1))
        XCTAssertEqual(result.err, "charnn: error: \(restorer) is a restore-case model; --weights f16 serves language "
                       + "models that generate text, serve this one with --weights f32\n")
    }

    // MARK: Streaming

    func testStreamIsOpenAIChunksEndingWithDoneAndSumsToTheWholeText() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model")
        let server = try serve(checkpoint)
        let request: [String: Any] = ["prompt": "The ", "seed": 4, "max_tokens": 50, "logprobs": 3]
        let whole = try server.completion(request)
        var streamed = request
        streamed["stream"] = true
        streamed["stream_options"] = ["include_usage": true]
        let reply = try server.post("/v1/completions", streamed)
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.headers["content-type"], "text/event-stream")
        let events = reply.events
        XCTAssertEqual(events.last, "[DONE]", reply.text)
        var text = "", reasons: [String] = [], offsets: [Int] = [], usage: [String: Any]?
        for event in events.dropLast() {
            let chunk = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            XCTAssertEqual(chunk["object"] as? String, "text_completion")
            if let found = chunk["usage"] as? [String: Any] { usage = found }
            for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                text += choice["text"] as? String ?? ""
                if let reason = choice["finish_reason"] as? String { reasons.append(reason) }
                if let logprobs = choice["logprobs"] as? [String: Any] {
                    offsets += logprobs["text_offset"] as? [Int] ?? []
                    let top = try XCTUnwrap(logprobs["top_logprobs"] as? [[String: Double]])
                    XCTAssertTrue(top.allSatisfy { $0.count == 3 && $0.values.allSatisfy { $0 <= 0 } }, "\(top)")
                }
            }
        }
        XCTAssertEqual(text, whole)
        XCTAssertEqual(reasons, ["length"])
        XCTAssertEqual(offsets, Array(0..<50), "one logprobs entry per character, at its offset")
        XCTAssertEqual(usage?["completion_tokens"] as? Int, 50)
        XCTAssertEqual(usage?["prompt_tokens"] as? Int, 4)
    }

    func testStopTextEndsTheCompletionAndIsNotReturned() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model")
        let server = try serve(checkpoint)
        let free = try server.completion(["prompt": "The ", "seed": 12, "max_tokens": 200])
        // Stop at the first two-character text that occurs after position 20.
        let scalars = Array(free.unicodeScalars)
        let stop = String(String.UnicodeScalarView(scalars[20..<22]))
        let first = free.range(of: stop)!.lowerBound
        let expected = String(free[..<first])
        for stream in [false, true] {
            let reply = try server.post("/v1/completions", ["prompt": "The ", "seed": 12, "max_tokens": 200,
                                                            "stop": [stop, "\u{1}"], "stream": stream])
            if stream {
                var text = "", reasons: [String] = []
                for event in reply.events.dropLast() {
                    let chunk = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
                    for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                        text += choice["text"] as? String ?? ""
                        if let reason = choice["finish_reason"] as? String { reasons.append(reason) }
                    }
                }
                XCTAssertEqual(text, expected, "streamed")
                XCTAssertEqual(reasons, ["stop"])
            } else {
                let choice = try XCTUnwrap((try reply.json()["choices"] as? [[String: Any]])?.first)
                XCTAssertEqual(choice["text"] as? String, expected)
                XCTAssertEqual(choice["finish_reason"] as? String, "stop")
            }
        }
    }

    // MARK: Sessions

    /// A session fed "The " and completed equals a completion of "The "; completed again, it
    /// continues from all that text, as a completion of the whole of it does.
    func testSessionKeepsStateBetweenCalls() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model")
        let server = try serve(checkpoint, ["--max-sessions", "2"])
        let created = try server.post("/v1/sessions", [:])
        XCTAssertEqual(created.status, 201, created.text)
        let id = try XCTUnwrap(try created.json()["id"] as? String)
        let fed = try server.post("/v1/sessions/\(id)/feed", ["text": "The "])
        XCTAssertEqual(fed.status, 200, fed.text)
        let first = try server.completion(["seed": 21, "max_tokens": 40], path: "/v1/sessions/\(id)/complete")
        XCTAssertEqual(first, try server.completion(["prompt": "The ", "seed": 21, "max_tokens": 40]))
        let second = try server.completion(["prompt": "a", "seed": 22, "max_tokens": 30],
                                           path: "/v1/sessions/\(id)/complete")
        XCTAssertEqual(second, try server.completion(["prompt": "The " + first + "a", "seed": 22, "max_tokens": 30]))

        _ = try server.post("/v1/sessions", [:])
        let third = try server.post("/v1/sessions", [:])
        XCTAssertEqual(third.status, 429, "a third session beyond --max-sessions 2")
        XCTAssertEqual(try server.request("DELETE", "/v1/sessions/\(id)").status, 200)
        let gone = try server.post("/v1/sessions/\(id)/feed", ["text": "x"])
        XCTAssertEqual(gone.status, 404)
        XCTAssertEqual((try gone.json()["error"] as? [String: Any])?["code"] as? String, "unknown_session")
        XCTAssertEqual(try server.post("/v1/sessions", [:]).status, 201, "deleting freed a place")
    }

    func testIdleSessionsExpire() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model")
        let server = try serve(checkpoint, ["--session-ttl", "1"])
        let id = try XCTUnwrap(try server.post("/v1/sessions", [:]).json()["id"] as? String)
        XCTAssertEqual(try server.post("/v1/sessions/\(id)/feed", ["text": "ab"]).status, 200)
        usleep(1_500_000)
        XCTAssertEqual(try server.post("/v1/sessions/\(id)/feed", ["text": "ab"]).status, 404)
    }

    // MARK: Scoring, activations, restoration

    func testScoreAgreesWithEval() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model")
        let text = String(Fixtures.corpusText.prefix(600))
        let file = try sandbox.write(text, to: "scored.txt")
        let eval = try jsonObject(try sandbox.run(["eval", file, "--checkpoint", checkpoint, "--json"]).stdout)
        let server = try serve(checkpoint)
        let score = try server.post("/v1/score", ["text": text]).json()
        XCTAssertEqual(try XCTUnwrap(score["bits_per_char"] as? Double), try XCTUnwrap(eval["bits_per_char"] as? Double),
                       accuracy: 1e-12)
        XCTAssertEqual(score["chars_scored"] as? Int, eval["chars_scored"] as? Int)
    }

    func testActivationsAreOneRowOfUnitsPerCharacter() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model")
        let server = try serve(checkpoint)
        let reply = try server.post("/v1/activations", ["text": "The cat", "layer": 0])
        XCTAssertEqual(reply.status, 200, reply.text)
        let object = try reply.json()
        XCTAssertEqual(object["shape"] as? [Int], [7, 16])
        XCTAssertEqual(object["characters"] as? [String], ["T", "h", "e", " ", "c", "a", "t"])
        let data = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(object["data"] as? String)))
        XCTAssertEqual(data.count, 7 * 16 * 4)
        let values = data.withUnsafeBytes { raw in (0..<(7 * 16)).map { Float(bitPattern: raw.load(fromByteOffset: $0 * 4, as: UInt32.self).littleEndian) } }
        XCTAssertTrue(values.allSatisfy { abs($0) < 1 }, "hidden states of an LSTM lie in (−1, 1)")
        XCTAssertTrue(values.contains { $0 != 0 })
        let cell = try server.post("/v1/activations", ["text": "The cat", "quantity": "cell"])
        XCTAssertEqual(cell.status, 200)
        XCTAssertNotEqual(try cell.json()["data"] as? String, object["data"] as? String)
        XCTAssertEqual(try server.post("/v1/activations", ["text": "The", "layer": 1]).status, 400, "one layer only")
    }

    func testRestorationAndLanguageModelsRefuseEachOthersWork() throws {
        let lm = try trainTiny(corpus: corpus(), out: "lm")
        let restorer = try trainTiny(corpus: corpus(), out: "restore", steps: 10,
                                     extra: ["--task", "restore-case", "--bidirectional"])
        let lmServer = try serve(lm)
        XCTAssertEqual(try lmServer.post("/v1/restore", ["text": "the cat"]).status, 400)
        let restoreServer = try serve(restorer)
        let refused = try restoreServer.post("/v1/completions", ["prompt": "the"])
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual((try refused.json()["error"] as? [String: Any])?["code"] as? String, "wrong_model_task")
        let restored = try restoreServer.post("/v1/restore", ["text": "the cat sat"])
        XCTAssertEqual(restored.status, 200, restored.text)
        XCTAssertEqual((try restored.json()["text"] as? String)?.lowercased(), "the cat sat")
    }

    // MARK: Bad input

    func testBadInputGetsOpenAIErrorsAndTheServerKeepsServing() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model")
        let server = try serve(checkpoint, ["--max-length", "500", "--max-choices", "4"])
        func assertError(_ reply: HTTPReply, _ status: Int, param: String?, _ what: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
            XCTAssertEqual(reply.status, status, "\(what): \(reply.text)", file: file, line: line)
            let error = try XCTUnwrap(try reply.json()["error"] as? [String: Any], what, file: file, line: line)
            XCTAssertNotNil(error["message"] as? String, what, file: file, line: line)
            XCTAssertNotNil(error["type"] as? String, what, file: file, line: line)
            XCTAssertEqual(error["param"] as? String, param, what, file: file, line: line)
            XCTAssertTrue(error.keys.contains("code"), what, file: file, line: line)
        }
        let post = { (object: [String: Any]) in try server.post("/v1/completions", object) }
        try assertError(try server.request("POST", "/v1/completions", body: Data("{\"prompt\": ".utf8)), 400,
                        param: nil, "malformed JSON")
        try assertError(try server.request("POST", "/v1/completions", body: Data("[1]".utf8)), 400, param: nil, "array body")
        try assertError(try post(["temperature": "hot"]), 400, param: "temperature", "wrong type")
        try assertError(try post(["max_tokens": 1.5]), 400, param: "max_tokens", "fractional integer")
        try assertError(try post(["temperature": -0.1]), 400, param: "temperature", "temperature < 0")
        try assertError(try post(["top_p": 0]), 400, param: "top_p", "top_p 0")
        try assertError(try post(["top_p": 1.5]), 400, param: "top_p", "top_p > 1")
        try assertError(try post(["max_tokens": 501]), 400, param: "max_tokens", "above --max-length")
        try assertError(try post(["n": 5]), 400, param: "n", "n above --max-choices")
        try assertError(try post(["stop": [1, 2]]), 400, param: "stop", "stop of numbers")
        let unknown = try post(["prompt": "The \u{1F600} cat"])
        try assertError(unknown, 400, param: "prompt", "unknown character")
        XCTAssertTrue(unknown.text.contains("U+1F600"), unknown.text)
        XCTAssertEqual(try post(["prompt": "The \u{1F600} cat", "skip_unknown": true, "max_tokens": 3]).status, 200)
        let big = Data(("{\"prompt\": \"" + String(repeating: "a", count: 1 << 20) + "\"}").utf8)
        try assertError(try server.request("POST", "/v1/completions", body: big), 413, param: nil, "body over 1 MiB")
        try assertError(try server.request("GET", "/v1/nothing"), 404, param: nil, "unknown route")
        try assertError(try server.request("PUT", "/v1/completions"), 405, param: nil, "wrong method")
        try assertError(try server.request("DELETE", "/v1/sessions/nope"), 404, param: nil, "unknown session")
        try assertError(try server.post("/v1/score", ["text": 3]), 400, param: "text", "score of a number")

        let extra = try post(["prompt": "a", "max_tokens": 2, "repeat_penalty": 1.1, "min_p": 0.05])
        XCTAssertEqual(extra.status, 200, "unknown fields are ignored")
        XCTAssertEqual(extra.headers["x-charnn-ignored-fields"], "min_p, repeat_penalty")
        let health = try server.get("/health")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(try health.json()["active_streams"] as? Int, 0)
        XCTAssertTrue(server.process.isRunning)
    }

    // MARK: Limits, disconnection, metrics, shutdown

    /// With one slot: a second stream gets 429 with Retry-After; dropping the first frees the slot.
    func testTooManyStreamsAndADisconnectFreesTheSlot() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model")
        let server = try serve(checkpoint, ["--max-streams", "1", "--max-length", "1000000"])
        do {
            let long = try LoopbackConnection(port: server.port)
            try long.send("POST", "/v1/completions",
                          body: Data(#"{"prompt": "a", "max_tokens": 1000000, "stream": true}"#.utf8))
            _ = long.read { String(decoding: $0, as: UTF8.self).contains("data: {") }
            let refused = try server.post("/v1/completions", ["prompt": "a", "max_tokens": 5])
            XCTAssertEqual(refused.status, 429, refused.text)
            XCTAssertEqual(refused.headers["retry-after"], "1")
            XCTAssertEqual((try refused.json()["error"] as? [String: Any])?["type"] as? String, "rate_limit_error")
        }  // the client goes away mid-stream: its connection closes here
        let deadline = Date().addingTimeInterval(20)
        var status = 0
        while Date() < deadline {
            status = try server.post("/v1/completions", ["prompt": "a", "max_tokens": 5]).status
            if status == 200 { break }
            usleep(50_000)
        }
        XCTAssertEqual(status, 200, "the slot was not freed after the client left")
        XCTAssertEqual(try server.get("/health").json()["active_streams"] as? Int, 0)
    }

    func testMetricsCountRequestsAndSteps() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model")
        let server = try serve(checkpoint)
        _ = try server.completion(["prompt": "a", "max_tokens": 10])
        _ = try server.post("/v1/completions", ["top_p": 3])
        let metrics = try server.get("/metrics")
        XCTAssertEqual(metrics.status, 200)
        let text = metrics.text
        for expected in [#"charnn_requests_total{route="/v1/completions",status="200"} 1"#,
                         #"charnn_requests_total{route="/v1/completions",status="400"} 1"#,
                         "charnn_characters_generated_total 10", "charnn_active_streams 0",
                         "charnn_batch_size_count", "charnn_step_seconds_bucket"] {
            XCTAssertTrue(text.contains(expected), "no \(expected) in:\n\(text)")
        }
    }

    func testOpenAPIDocumentIsServedAsInTheRepository() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model")
        let server = try serve(checkpoint)
        let served = try server.get("/openapi.json")
        XCTAssertEqual(served.status, 200)
        let committed = try Data(contentsOf: Fixtures.packageRoot.appendingPathComponent("docs/openapi.json"))
        XCTAssertEqual(served.text, String(decoding: committed, as: UTF8.self), "docs/openapi.json differs from the served document")
        // Each route in it and each of its operations served: OpenAPIContractTests.
        let page = try server.get("/")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("<html") && !page.text.contains("http://") && !page.text.contains("https://"),
                      "the playground is one self-contained page")
    }

    /// SIGTERM cuts an open stream cleanly (final chunk, [DONE]) and the server exits 0.
    func testSIGTERMCutsOpenStreamsAndExitsZero() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model")
        let server = try serve(checkpoint, ["--max-length", "100000000"])
        let open = try LoopbackConnection(port: server.port)
        try open.send("POST", "/v1/completions",
                      body: Data(#"{"prompt": "a", "max_tokens": 100000000, "stream": true}"#.utf8))
        let first = open.read { String(decoding: $0, as: UTF8.self).contains("data: {") }
        server.process.send(SIGTERM)
        let reply = try LoopbackConnection.parse(first + open.read())
        XCTAssertEqual(reply.events.last, "[DONE]", String(reply.text.suffix(500)))
        XCTAssertTrue(reply.text.contains(#""finish_reason":"shutdown""#), String(reply.text.suffix(500)))
        let result = server.process.wait(timeout: 20)
        assertSuccess(result, "serve after SIGTERM")
    }
}

/// A value shared by the threads of `concurrentPerform`.
final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func update(_ change: (inout Value) -> Void) { lock.lock(); change(&stored); lock.unlock() }
}
