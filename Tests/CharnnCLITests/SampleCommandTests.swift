import Foundation
import XCTest

/// `charnn sample`: reproducibility, output framing, priming, stopping, checkpoint discovery,
/// a closed pipe, and option errors.
final class SampleCommandTests: CLITestCase {
    private var checkpoint = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        checkpoint = try trainTiny(corpus: corpus(), out: "model")
    }

    private func sample(_ arguments: [String], in directory: URL? = nil,
                        file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let withCheckpoint = directory == nil ? ["sample", "--checkpoint", checkpoint] : ["sample"]
        let result = try sandbox.run(withCheckpoint + arguments, in: directory)
        assertSuccess(result, "sample \(arguments)", file: file, line: line)
        return result
    }

    // MARK: Reproducibility

    func testSameSeedSameTextOtherSeedOtherText() throws {
        let first = try sample(["--seed", "1", "--length", "200"])
        let again = try sample(["--seed", "1", "--length", "200"])
        let other = try sample(["--seed", "2", "--length", "200"])
        XCTAssertFalse(first.stdout.isEmpty)
        XCTAssertEqual(first.stdout, again.stdout, "--seed 1 twice gave different text")
        XCTAssertNotEqual(first.stdout, other.stdout, "--seed 1 and --seed 2 gave the same text")
    }

    func testGreedySamplingNeedsNoSeed() throws {
        let first = try sample(["--temp", "0", "--length", "200"])
        let again = try sample(["--temp", "0", "--length", "200"])
        XCTAssertEqual(first.stdout, again.stdout, "--temp 0 is not deterministic")
        XCTAssertEqual(first.out.scalarCount, 200 + 1, first.out.debugDescription)
    }

    // MARK: Framing

    /// stdout = prime + exactly `--length` generated characters + one line break.
    func testLengthCountsGeneratedCharactersAfterThePrime() throws {
        for prime in ["", "ab", "The "] {
            let result = try sample(["--seed", "11", "--length", "50", "--prime", prime])
            let text = result.out
            XCTAssertTrue(text.hasSuffix("\n"), "no final line break: \(text.debugDescription)")
            XCTAssertTrue(text.hasPrefix(prime), "output does not start with the prime \(prime.debugDescription)")
            XCTAssertEqual(text.scalarCount - prime.scalarCount - 1, 50,
                           "prime \(prime.debugDescription): \(text.debugDescription)")
        }
        let none = try sample(["--seed", "11", "--length", "0", "--prime", "ab"])
        XCTAssertEqual(none.out, "ab\n")
    }

    func testPrimeIsPrintedFirst() throws {
        let result = try sample(["--seed", "4", "--length", "30", "--prime", "ab"])
        XCTAssertTrue(result.out.hasPrefix("ab"), result.out.debugDescription)
    }

    func testCountGivesSamplesSeparatedByABlankLine() throws {
        let result = try sample(["--seed", "6", "--length", "40", "--prime", "ab", "--count", "3"])
        var scalars = Array(result.out.unicodeScalars)[...]
        var samples: [String] = []
        for index in 0..<3 {
            guard scalars.count >= 42 else { return XCTFail("sample \(index) is short: \(result.out.debugDescription)") }
            var sample = String.UnicodeScalarView()
            sample.append(contentsOf: scalars.prefix(42))
            samples.append(String(sample))
            scalars = scalars.dropFirst(42)
            let separator = index < 2 ? "\n\n" : "\n"
            let next = String(String.UnicodeScalarView(scalars.prefix(separator.scalarCount)))
            XCTAssertEqual(next, separator, "after sample \(index): \(result.out.debugDescription)")
            scalars = scalars.dropFirst(separator.scalarCount)
        }
        XCTAssertTrue(scalars.isEmpty, "more than three samples: \(result.out.debugDescription)")
        for sample in samples { XCTAssertTrue(sample.hasPrefix("ab"), sample.debugDescription) }
        XCTAssertEqual(Set(samples).count, 3, "the samples are not independent: \(samples)")
    }

    func testStopEndsTheSampleRightAfterTheStopText() throws {
        let full = try sample(["--seed", "9", "--temp", "1", "--length", "300", "--prime", "ab"])
        let generated = Array(full.out.unicodeScalars.dropFirst(2).dropLast())
        XCTAssertEqual(generated.count, 300)
        let stop = Array(generated[20..<22])
        guard let start = (0...(generated.count - 2)).first(where: { Array(generated[$0..<($0 + 2)]) == stop }) else {
            return XCTFail("the stop text vanished")
        }
        var expected = String.UnicodeScalarView("ab".unicodeScalars)
        expected.append(contentsOf: generated[..<(start + 2)])
        expected.append("\n")

        let stopText = String(String.UnicodeScalarView(stop))
        let stopped = try sample(["--seed", "9", "--temp", "1", "--length", "300", "--prime", "ab", "--stop", stopText])
        XCTAssertEqual(stopped.out, String(expected), "--stop \(stopText.debugDescription)")
        XCTAssertLessThan(stopped.out.scalarCount, full.out.scalarCount)
    }

    // MARK: Unknown prime characters

    func testUnknownPrimeCharacterIsNamedAndSkipUnknownDropsIt() throws {
        let refused = try sandbox.run(["sample", "--checkpoint", checkpoint, "--prime", "t☃e", "--length", "10"])
        assertCleanFailure(refused, code: 1, mentions: ["--skip-unknown"])
        XCTAssertTrue(refused.err.contains("☃") || refused.err.contains("U+2603"), "the character is not named: \(refused.err)")
        XCTAssertTrue(refused.stdout.isEmpty, "printed text before failing: \(refused.out)")

        let skipped = try sample(["--prime", "t☃e", "--length", "10", "--seed", "1", "--skip-unknown"])
        XCTAssertTrue(skipped.out.hasPrefix("te"), skipped.out.debugDescription)
        XCTAssertEqual(skipped.out.scalarCount, 2 + 10 + 1)
        XCTAssertTrue(skipped.err.contains("☃") || skipped.err.contains("U+2603"), "no note on stderr: \(skipped.err)")
    }

    // MARK: Discovery

    func testWithoutCheckpointsTheMessageSaysWhereItLookedAndHowToTrain() throws {
        let folder = sandbox.url("empty-cwd")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let result = try sandbox.run(["sample", "--length", "10"], in: folder)
        assertCleanFailure(result, code: 1, mentions: ["checkpoints/best.safetensors.zst",
                                                       "checkpoints/latest.safetensors.zst", "charnn train"])
    }

    func testOnlyLatestIsFound() throws {
        let folder = sandbox.url("only-latest")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("checkpoints"),
                                                withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: checkpoint,
                                         toPath: folder.appendingPathComponent("checkpoints/latest.safetensors.zst").path)
        let found = try sample(["--seed", "5", "--length", "100"], in: folder)
        let explicit = try sample(["--seed", "5", "--length", "100"])
        XCTAssertEqual(found.stdout, explicit.stdout)
    }

    func testBestIsPreferredOverLatest() throws {
        let corpus = sandbox.path("corpus.txt")
        let other = try trainTiny(corpus: corpus, out: "other", steps: 30, extra: ["--seed", "2"])
        let folder = sandbox.url("both")
        let checkpoints = folder.appendingPathComponent("checkpoints")
        try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        let best = checkpoints.appendingPathComponent("best.safetensors.zst").path
        let latest = checkpoints.appendingPathComponent("latest.safetensors.zst").path
        try FileManager.default.copyItem(atPath: checkpoint, toPath: best)
        try FileManager.default.copyItem(atPath: other, toPath: latest)

        let arguments = ["--seed", "5", "--length", "200", "--temp", "1"]
        let found = try sample(arguments, in: folder)
        let fromBest = try sample(["--checkpoint", best] + arguments, in: folder)
        let fromLatest = try sample(["--checkpoint", latest] + arguments, in: folder)
        XCTAssertNotEqual(fromBest.stdout, fromLatest.stdout, "the fixture models sample alike")
        XCTAssertEqual(found.stdout, fromBest.stdout, "sample without --checkpoint did not use best")
    }

    // MARK: A closed pipe

    func testClosedPipeEndsQuietly() throws {
        let script = """
        { "$CHARNN" sample --checkpoint "\(checkpoint)" --length 100000 --seed 1 2>charnn.err; \
        echo $? >charnn.status; } | head -c 10
        """
        let result = try sandbox.shell(script, timeout: 300)
        XCTAssertEqual(result.ending, .exited(0), result.summary)
        XCTAssertEqual(result.stdout.count, 10, "head did not get 10 bytes: \(result.summary)")
        let err = String(decoding: try sandbox.read("charnn.err"), as: UTF8.self)
        XCTAssertEqual(err, "", "charnn wrote on stderr when its stdout closed")
        let status = String(decoding: try sandbox.read("charnn.status"), as: UTF8.self)
        XCTAssertEqual(status.trimmingCharacters(in: .whitespacesAndNewlines), "0", "charnn's exit status")
    }

    // MARK: Usage errors

    func testBadOptionsAreUsageErrorsBeforeLoading() throws {
        let cases: [([String], String)] = [
            (["--temp=-1"], "--temp"), (["--top-p", "0"], "--top-p"), (["--top-p", "1.5"], "--top-p"),
            (["--top-k=-1"], "--top-k"), (["--length=-1"], "--length"), (["--threads", "0"], "--threads"),
        ]
        for (options, name) in cases {
            let result = try sandbox.run(["sample", "--checkpoint", "no-such.safetensors.zst"] + options)
            assertCleanFailure(result, code: 64, mentions: [name], oneLine: false)
            XCTAssertFalse(result.err.contains("no-such"), "\(options): the checkpoint was read first:\n\(result.err)")
            XCTAssertTrue(result.stdout.isEmpty)
        }
    }
}
