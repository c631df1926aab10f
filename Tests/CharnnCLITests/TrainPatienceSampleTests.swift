import Foundation
import XCTest

/// `--patience` stops a run that stopped improving; `--sample-every` shows and keeps samples.
final class TrainPatienceSampleTests: CLITestCase {
    func testPatienceStopsAfterValidationsWithoutANewBest() throws {
        let corpus = try corpus()
        // At this learning rate no weight moves (each update is far below a float's resolution), so
        // every validation after the first equals it and is no new best.
        let result = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--steps", "200", "--val-every", "10", "--patience", "2", "--lr", "1e-12",
                                        "--out", "run"])
        assertSuccess(result, "training with --patience")
        XCTAssertTrue(result.err.contains("stopping at step 30"), result.err)
        XCTAssertEqual(try trainingStep(sandbox.path("run/latest.safetensors.zst")), 30)
        XCTAssertTrue(sandbox.exists("run/best.safetensors.zst"))

        // With a learning rate that learns, the same patience does not stop it.
        let learning = try sandbox.run(["train", corpus] + Self.tinyModel
                                       + ["--steps", "40", "--val-every", "10", "--patience", "2", "--out", "learn"])
        assertSuccess(learning, "training that improves")
        XCTAssertFalse(learning.err.contains("stopping at step"), learning.err)
        XCTAssertEqual(try trainingStep(sandbox.path("learn/latest.safetensors.zst")), 40)
    }

    func testSamplesArePrintedAndKept() throws {
        let corpus = try corpus()
        let result = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--steps", "20", "--sample-every", "10", "--sample-length", "30", "--out", "run"])
        assertSuccess(result, "training with --sample-every")
        XCTAssertTrue(result.err.contains("sample at step 10") && result.err.contains("sample at step 20"), result.err)
        let kept = String(decoding: try sandbox.read("run/samples.txt"), as: UTF8.self)
        let sections = kept.components(separatedBy: "--- step ").dropFirst()
        XCTAssertEqual(sections.map { $0.prefix(2) }, ["10", "20"])
        for section in sections {
            let text = section.split(separator: "\n", maxSplits: 1)[1].dropLast()  // the header line, then the text
            XCTAssertEqual(text.unicodeScalars.count, 30, "\(section)")
        }
        let refused = try sandbox.run(["train", corpus, "--task", "restore-case", "--sample-every", "10"])
        assertCleanFailure(refused, code: 64, mentions: ["--sample-every"], oneLine: false)
    }
}
