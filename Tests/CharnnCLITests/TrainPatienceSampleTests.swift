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

    /// `--patience 25%`: a quarter of the budget's steps without a new best ends the run; the plan
    /// line says when it would. The budget rule's runs get it unless the user says otherwise.
    func testPatienceAsAShareOfTheBudget() throws {
        let corpus = try corpus()
        let result = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--steps", "200", "--val-every", "10", "--patience", "25%", "--lr", "1e-12",
                                        "--out", "run"])
        assertSuccess(result, "training with --patience 25%")
        XCTAssertTrue(result.err.contains("stops after 50 steps without a new best (--patience 25%)"), result.err)
        // The best is step 10's (the first validation); 50 steps later, at step 60, the quarter is spent.
        XCTAssertTrue(result.err.contains("stopping at step 60: 50 steps without a new best, 25% of the 200"), result.err)
        XCTAssertEqual(try trainingStep(sandbox.path("run/latest.safetensors.zst")), 60)

        // A share also needs two validations without a new best: at step 120 one validation has
        // passed 60 steps (over the quarter of 200) and the run goes on; at step 180 it stops.
        let sparse = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--steps", "200", "--val-every", "60", "--patience", "25%", "--lr", "1e-12",
                                        "--out", "sparse"])
        assertSuccess(sparse, "training with --patience 25% and sparse validations")
        XCTAssertTrue(sparse.err.contains("stopping at step 180: 120 steps without a new best"), sparse.err)

        // With --time, the share is of its seconds: 1 s of 4 without a new best.
        let timed = try sandbox.run(["train", corpus] + Self.tinyModel
                                    + ["--time", "4s", "--val-every", "5", "--patience", "25%", "--lr", "1e-12",
                                       "--out", "timed"])
        assertSuccess(timed, "training with --time and --patience 25%")
        XCTAssertTrue(timed.err.contains("stops after 0:01 without a new best (--patience 25%)"), timed.err)
        XCTAssertTrue(timed.err.contains("without a new best, 25% of --time (--patience)"), timed.err)

        // No model flag: the budget rule chooses, and with it a quarter of the budget as patience.
        let chosen = try sandbox.run(["train", corpus, "--steps", "8", "--val-every", "4", "--out", "chosen"])
        assertSuccess(chosen, "training whose budget chooses the model")
        XCTAssertTrue(chosen.err.contains("stops after 2 steps without a new best (--patience 25%)"), chosen.err)
        let never = try sandbox.run(["train", corpus, "--steps", "8", "--val-every", "4", "--patience", "0",
                                     "--out", "never"])
        assertSuccess(never, "training with --patience 0")
        XCTAssertFalse(never.err.contains("without a new best"), never.err)

        for bad in ["5x", "0%", "101%", "-1"] {
            let refused = try sandbox.run(["train", corpus, "--steps", "8", "--patience=\(bad)"])
            assertCleanFailure(refused, code: 64, mentions: ["--patience", bad], oneLine: false)
        }
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
