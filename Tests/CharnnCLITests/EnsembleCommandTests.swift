import Foundation
import XCTest

/// `charnn train --ensemble`, and what each command does with the ensemble it leaves.
final class EnsembleCommandTests: CLITestCase {
    func testAnEnsembleIsSampledAndScoredAsOneModelAndRefusedByOneModelCommands() throws {
        let corpus = try corpus()
        let training = try sandbox.run(["train", corpus] + Self.tinyModel
                                       + ["--steps", "12", "--val-every", "6", "--ensemble", "2", "--out", "checkpoints"])
        assertSuccess(training, "training an ensemble")
        XCTAssertTrue(training.err.contains("member 2 of 2: seed 2"), training.err)
        XCTAssertTrue(training.err.contains("ensemble of 2: validation loss"), training.err)
        for name in ["checkpoints/ensemble.json", "checkpoints/best.safetensors.zst",
                     "checkpoints/member-1/best.safetensors.zst", "checkpoints/member-2/best.safetensors.zst"] {
            XCTAssertTrue(sandbox.exists(name), name)
        }

        // sample and eval find the ensemble without --checkpoint; seeded samples repeat.
        let first = try sandbox.run(["sample", "--length", "40", "--seed", "5"])
        assertSuccess(first, "sampling the ensemble")
        XCTAssertEqual(try sandbox.run(["sample", "--length", "40", "--seed", "5"]).out, first.out)
        let text = try sandbox.write(String(Fixtures.corpusText.unicodeScalars.prefix(300)), to: "text.txt")
        let mixed = try jsonObject(try sandbox.run(["eval", text, "--json"]).stdout)
        let alone = try jsonObject(try sandbox.run(["eval", text, "--json", "--checkpoint",
                                                    "checkpoints/member-1/best.safetensors.zst"]).stdout)
        XCTAssertNotEqual(mixed["nats_per_char"] as? Double, alone["nats_per_char"] as? Double)

        // Commands that run one model say which member to pass.
        for arguments in [["info", "checkpoints/ensemble.json"], ["sample", "--beam", "2", "--length", "5"]] {
            assertCleanFailure(try sandbox.run(arguments), code: 1, mentions: ["ensemble", "--checkpoint"])
        }
        assertCleanFailure(try sandbox.run(["train", corpus, "--ensemble", "2", "--resume"]), code: 64,
                           mentions: ["--resume", "member"], oneLine: false)
    }
}
