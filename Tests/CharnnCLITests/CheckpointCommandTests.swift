import Foundation
import XCTest

/// `charnn eval`, `info` and `export`, and what every reader does with a damaged checkpoint.
final class CheckpointCommandTests: CLITestCase {
    private var checkpoint = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        checkpoint = try trainTiny(corpus: corpus(), out: "model")
    }

    // MARK: eval

    private func evaluate(_ text: String, name: String,
                          file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let path = try sandbox.write(text, to: name)
        let result = try sandbox.run(["eval", path, "--checkpoint", checkpoint, "--json"])
        assertSuccess(result, "eval \(name)", file: file, line: line)
        let lines = result.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "eval --json is not one line: \(result.out)", file: file, line: line)
        return try jsonObject(result.stdout)
    }

    func testEvalJSONReportsConsistentScores() throws {
        let text = String(Fixtures.corpusText.unicodeScalars.prefix(500))
        let report = try evaluate(text, name: "known.txt")
        XCTAssertEqual(Set(report.keys),
                       ["nats_per_char", "bits_per_char", "perplexity", "chars_scored", "unknown_skipped"])
        let nats = try XCTUnwrap(report["nats_per_char"] as? Double)
        let bits = try XCTUnwrap(report["bits_per_char"] as? Double)
        let perplexity = try XCTUnwrap(report["perplexity"] as? Double)
        XCTAssertTrue(nats.isFinite && nats > 0, "nats_per_char \(nats)")
        XCTAssertEqual(bits, nats / log(2), accuracy: 1e-9 * bits)
        XCTAssertEqual(perplexity, exp(nats), accuracy: 1e-9 * perplexity)
        XCTAssertEqual(report["chars_scored"] as? Int, text.scalarCount - 1)
        XCTAssertEqual(report["unknown_skipped"] as? Int, 0)
    }

    /// Unknown characters are left out (neither fed nor scored) and counted.
    func testEvalSkipsAndCountsUnknownCharacters() throws {
        let text = String(Fixtures.corpusText.unicodeScalars.prefix(300))
        var mixed = text
        mixed.insert("☃", at: mixed.index(mixed.startIndex, offsetBy: 10))
        mixed.insert("€", at: mixed.index(mixed.startIndex, offsetBy: 100))
        mixed += "✓"
        let clean = try evaluate(text, name: "clean.txt")
        let report = try evaluate(mixed, name: "mixed.txt")
        XCTAssertEqual(report["unknown_skipped"] as? Int, 3)
        XCTAssertEqual(report["chars_scored"] as? Int, text.scalarCount - 1)
        let cleanNats = try XCTUnwrap(clean["nats_per_char"] as? Double)
        let mixedNats = try XCTUnwrap(report["nats_per_char"] as? Double)
        XCTAssertEqual(mixedNats, cleanNats, accuracy: 1e-6, "skipping unknown characters changed the score")
    }

    func testEvalTextOutput() throws {
        let path = try sandbox.write(String(Fixtures.corpusText.prefix(200)), to: "text.txt")
        let result = try sandbox.run(["eval", path, "--checkpoint", checkpoint])
        assertSuccess(result)
        XCTAssertTrue(result.out.contains("bits"), result.out)
        XCTAssertTrue(result.out.contains("perplexity"), result.out)
    }

    // MARK: info and export

    func testInfoTextAndJSON() throws {
        let text = try sandbox.run(["info", checkpoint])
        assertSuccess(text)
        for word in ["lstm", "16", "step 20", "optimiser"] {
            XCTAssertTrue(text.out.localizedCaseInsensitiveContains(word), "info lacks \"\(word)\":\n\(text.out)")
        }

        let info = try infoJSON(checkpoint)
        let config = try XCTUnwrap(info["config"] as? [String: Any])
        XCTAssertEqual(config["cell"] as? String, "lstm")
        XCTAssertEqual(config["hidden"] as? Int, 16)
        XCTAssertEqual(config["embed"] as? Int, 8)
        XCTAssertEqual(config["layers"] as? Int, 1)
        XCTAssertEqual(info["optimizer_state"] as? Bool, true)
        XCTAssertEqual((info["training"] as? [String: Any])?["step"] as? Int, 20)
        let vocabulary = Set(Fixtures.corpusText.unicodeScalars).count
        XCTAssertEqual(info["vocab_size"] as? Int, vocabulary)
    }

    func testExportWeightsOnlyIsSmallerAndSamplesTheSame() throws {
        let exported = sandbox.path("shared.safetensors.zst")
        let result = try sandbox.run(["export", checkpoint, "--output", exported, "--weights-only"])
        assertSuccess(result)

        let original = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: checkpoint)[.size] as? Int)
        let small = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: exported)[.size] as? Int)
        XCTAssertLessThan(small, original, "the weights-only export is not smaller")

        let info = try infoJSON(exported)
        XCTAssertEqual(info["optimizer_state"] as? Bool, false)
        XCTAssertNil(info["training"], "the weights-only export kept its training state")
        let text = try sandbox.run(["info", exported])
        assertSuccess(text)

        let arguments = ["--seed", "5", "--length", "200"]
        let fromOriginal = try sandbox.run(["sample", "--checkpoint", checkpoint] + arguments)
        let fromExported = try sandbox.run(["sample", "--checkpoint", exported] + arguments)
        assertSuccess(fromOriginal)
        assertSuccess(fromExported)
        XCTAssertEqual(fromExported.stdout, fromOriginal.stdout)
    }

    // MARK: Damaged checkpoints

    /// Every reader fails with exit 1 and one line naming the file.
    private func assertRefused(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for command in [["sample", "--checkpoint", name, "--length", "10"], ["info", name],
                        ["eval", "corpus.txt", "--checkpoint", name]] {
            let result = try sandbox.run(command)
            assertCleanFailure(result, code: 1, mentions: [name], file: file, line: line)
            XCTAssertTrue(result.stdout.isEmpty, "\(command) printed: \(result.out)", file: file, line: line)
        }
    }

    func testMissingCheckpoint() throws {
        try assertRefused("missing.safetensors.zst")
    }

    func testEmptyCheckpoint() throws {
        _ = try sandbox.write(Data(), to: "empty.safetensors.zst")
        try assertRefused("empty.safetensors.zst")
    }

    func testTextFileAsCheckpoint() throws {
        _ = try sandbox.write("this is not a checkpoint\n", to: "text.safetensors.zst")
        try assertRefused("text.safetensors.zst")
    }

    func testTruncatedCheckpoint() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        _ = try sandbox.write(bytes.prefix(bytes.count / 2), to: "half.safetensors.zst")
        try assertRefused("half.safetensors.zst")
    }

    func testCheckpointWithAFlippedByte() throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        bytes[bytes.count / 2] ^= 0xFF
        _ = try sandbox.write(bytes, to: "flipped.safetensors.zst")
        try assertRefused("flipped.safetensors.zst")
    }

    func testFolderAsCheckpoint() throws {
        try FileManager.default.createDirectory(at: sandbox.url("folder.safetensors.zst"),
                                                withIntermediateDirectories: true)
        try assertRefused("folder.safetensors.zst")
    }
}
