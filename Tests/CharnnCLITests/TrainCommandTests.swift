import Foundation
import XCTest

/// `charnn train`: outputs, resume, divergence, and the errors of bad options and bad corpora.
final class TrainCommandTests: CLITestCase {
    // MARK: Happy path

    func testTrainWritesCheckpointsMetricsAndPlotIntoANewNestedFolder() throws {
        let corpus = try corpus()
        XCTAssertFalse(sandbox.exists("runs"))
        let result = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--steps", "20", "--val-every", "10", "--out", "runs/a/b"])
        assertSuccess(result)

        let files = sandbox.files(in: "runs/a/b")
        for name in ["latest.safetensors.zst", "best.safetensors.zst", "metrics.csv", "loss.svg"] {
            XCTAssertTrue(files.contains(name), "\(name) missing from --out; it holds \(files)")
        }

        let metrics = String(decoding: try sandbox.read("runs/a/b/metrics.csv"), as: UTF8.self)
        let rows = metrics.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(rows.first, "step,epoch,lr,train_loss,val_loss,grad_norm,chars_per_s,elapsed_s")
        XCTAssertGreaterThanOrEqual(rows.count, 2, "no data row in metrics.csv:\n\(metrics)")
        for row in rows.dropFirst() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(fields.count, 8, "row \(row)")
            XCTAssertNotNil(Int(fields[0]), "step of row \(row)")
            XCTAssertNotNil(Double(fields[3]), "train_loss of row \(row)")
        }

        let svg = String(decoding: try sandbox.read("runs/a/b/loss.svg"), as: UTF8.self)
        XCTAssertTrue(svg.contains("<svg"), "loss.svg is not SVG")
        XCTAssertTrue(svg.contains("training step"), "loss.svg lacks its x-axis label")
        XCTAssertTrue(svg.contains("bits per character"), "loss.svg lacks its y-axis label")

        XCTAssertTrue(result.stdout.isEmpty, "train printed on stdout: \(result.out)")
        let lines = result.err.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.contains("step ") }, "no progress on stderr:\n\(result.err)")
        XCTAssertFalse(result.err.contains("\u{1B}["), "terminal escapes in non-terminal progress:\n\(result.err)")
    }

    func testZeroStepsSavesTheInitialModel() throws {
        let corpus = try corpus()
        let result = try sandbox.run(["train", corpus] + Self.tinyModel + ["--steps", "0", "--out", "zero"])
        assertSuccess(result)
        XCTAssertTrue(sandbox.exists("zero/latest.safetensors.zst"))
        XCTAssertEqual(try trainingStep(sandbox.path("zero/latest.safetensors.zst")), 0)
    }

    // MARK: The budget chooses the model

    /// `--time` with some model flags: the given ones are kept, the rest chosen from this machine's
    /// timed speed; the plan line says what and why, `--explain` lists every candidate.
    func testTheBudgetChoosesTheModelFlagsNotGivenAndSaysWhy() throws {
        let corpus = try corpus()
        let result = try sandbox.run(["train", corpus, "--time", "2s", "--layers", "1", "--explain", "--threads", "1",
                                      "--val-every", "0", "--out", "budget"])
        assertSuccess(result)
        let lines = result.err.split(separator: "\n").map(String.init)
        guard let plan = lines.first(where: { $0.hasPrefix("budget: --time 2s, ") }) else {
            return XCTFail("no plan line naming the budget:\n\(result.err)")
        }
        XCTAssertTrue(plan.contains("chars/s at LSTM 1×"), plan)
        XCTAssertTrue(plan.contains("→ LSTM 1×"), "the given --layers 1 is not kept: \(plan)")
        XCTAssertTrue(plan.contains("(speeds timed in "), plan)
        XCTAssertTrue(lines.contains { $0.hasPrefix("LSTM 1×") }, "the model line disagrees:\n\(result.err)")
        XCTAssertTrue(result.err.contains("budget rule: candidates considered"), result.err)
        XCTAssertEqual(lines.filter { $0.hasSuffix("— chosen") }.count, 1, result.err)

        // Everything given: nothing to choose, and --explain says so.
        let given = try sandbox.run(["train", corpus] + Self.tinyModel + ["--steps", "1", "--explain", "--out", "given"])
        assertSuccess(given)
        XCTAssertFalse(given.err.contains("budget: "), given.err)
        XCTAssertTrue(given.err.contains("budget rule: not applied (every model flag is given)"), given.err)
    }

    // MARK: Resume

    func testBareResumeContinuesFromLatestInOut() throws {
        let corpus = try corpus()
        let latest = try trainTiny(corpus: corpus, out: "run", steps: 10)
        XCTAssertEqual(try trainingStep(latest), 10)

        let result = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--val-every", "10", "--out", "run", "--resume", "--steps", "20"])
        assertSuccess(result, "bare --resume followed by another option")
        XCTAssertTrue(result.err.localizedCaseInsensitiveContains("resum"), "no word of resuming:\n\(result.err)")
        XCTAssertTrue(result.err.contains("step 10"), "the resumed step is not shown:\n\(result.err)")
        XCTAssertEqual(try trainingStep(latest), 20)

        // Bare --resume as the last argument.
        let last = try sandbox.run(["train", corpus] + Self.tinyModel
                                   + ["--val-every", "10", "--out", "run", "--steps", "30", "--resume"])
        assertSuccess(last, "bare --resume as the last argument")
        XCTAssertEqual(try trainingStep(latest), 30)
    }

    func testResumeFromPathContinuesExactlyAsAnUninterruptedRun() throws {
        let corpus = try corpus()
        let straight = try trainTiny(corpus: corpus, out: "straight", steps: 20)
        let split = try trainTiny(corpus: corpus, out: "split", steps: 10)

        let result = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--val-every", "10", "--out", "split", "--resume", split, "--steps", "20"])
        assertSuccess(result)
        XCTAssertTrue(result.err.localizedCaseInsensitiveContains("resum"), "no word of resuming:\n\(result.err)")
        XCTAssertTrue(result.err.contains("step 10"), "the resumed step is not shown:\n\(result.err)")
        XCTAssertEqual(try trainingStep(split), 20)

        // Same weights: the same scores and the same seeded samples.
        let text = try sandbox.write(String(Fixtures.corpusText.prefix(600)), to: "score.txt")
        let scoreStraight = try sandbox.run(["eval", text, "--checkpoint", straight, "--json"])
        let scoreSplit = try sandbox.run(["eval", text, "--checkpoint", split, "--json"])
        assertSuccess(scoreStraight)
        assertSuccess(scoreSplit)
        XCTAssertEqual(scoreSplit.out, scoreStraight.out, "10 + 10 resumed steps differ from 20 straight steps")
        let sampleArguments = ["--seed", "3", "--temp", "1", "--length", "200"]
        let sampleStraight = try sandbox.run(["sample", "--checkpoint", straight] + sampleArguments)
        let sampleSplit = try sandbox.run(["sample", "--checkpoint", split] + sampleArguments)
        XCTAssertEqual(sampleSplit.stdout, sampleStraight.stdout)
    }

    /// `--locked-dropout`, `--weight-dropout` and `--embed-dropout` are kept in the checkpoint: a bare resume continues
    /// them (and its plan line says so), and 5 + 5 steps end where 10 straight steps do.
    func testResumeKeepsTheRegularisation() throws {
        let corpus = try corpus()
        let regularised = ["--dropout", "0.3", "--locked-dropout", "--weight-dropout", "0.25", "--embed-dropout", "0.1"]
        let straight = try trainTiny(corpus: corpus, out: "straight", steps: 10, extra: regularised)
        let split = try trainTiny(corpus: corpus, out: "split", steps: 5, extra: regularised)
        let resumed = try sandbox.run(["train", corpus, "--out", "split", "--resume", "--steps", "10", "--val-every", "10",
                                       "--threads", "1"])
        assertSuccess(resumed)
        XCTAssertTrue((resumed.out + resumed.err).contains(
            "; dropout 0.3 (locked masks), DropConnect 0.25 on weight_hh, embedding dropout 0.1; resuming"),
            "the plan line names the regularisers in force: \(resumed.err)")
        let plain = try trainTiny(corpus: corpus, out: "plain", steps: 10, extra: ["--dropout", "0.3"])
        let text = try sandbox.write(String(Fixtures.corpusText.prefix(600)), to: "score.txt")
        let score = { (checkpoint: String) in try self.sandbox.run(["eval", text, "--checkpoint", checkpoint, "--json"]).out }
        XCTAssertEqual(try score(split), try score(straight), "the resumed run dropped differently")
        XCTAssertNotEqual(try score(plain), try score(straight), "the regularisation flags changed nothing")
    }

    func testResumeWithAnotherArchitectureIsRefusedWithTheDifference() throws {
        let corpus = try corpus()
        let latest = try trainTiny(corpus: corpus, out: "run", steps: 10)
        let arguments = ["train", corpus] + Self.tinyModel + ["--out", "run", "--resume", latest, "--steps", "20"]
        let result = try sandbox.run(arguments + ["--hidden", "24"])
        assertCleanFailure(result, code: 1, mentions: ["hidden", "24", "16"])
        XCTAssertEqual(try trainingStep(latest), 10, "the refused resume changed the checkpoint")
    }

    func testResumeOnAnotherCorpusNeedsForce() throws {
        let corpus = try corpus()
        let latest = try trainTiny(corpus: corpus, out: "run", steps: 10)
        // The same characters in another order: same vocabulary, different text.
        let reordered = Fixtures.corpusText.split(separator: "\n", omittingEmptySubsequences: false)
            .reversed().joined(separator: "\n")
        let other = try sandbox.write(reordered, to: "other.txt")
        let arguments = ["train", other] + Self.tinyModel
            + ["--val-every", "10", "--out", "run", "--resume", latest, "--steps", "20"]

        let refused = try sandbox.run(arguments)
        assertCleanFailure(refused, code: 1, mentions: ["--force", "corpus"])
        XCTAssertEqual(try trainingStep(latest), 10)

        let forced = try sandbox.run(arguments + ["--force"])
        assertSuccess(forced)
        XCTAssertEqual(try trainingStep(latest), 20)
    }

    // MARK: Divergence

    /// char-rnn's rule (STYLE.md): a loss that explodes is divergence even while it is finite.
    func testExplodingLossStopsTheRun() throws {
        let corpus = try corpus()
        let result = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--steps", "100", "--val-every", "0", "--out", "run", "--lr", "1e30"])
        guard result.exitCode != 0 else {
            return XCTFail("--lr 1e30 trained to the end with an exploding loss:\n\(result.err.suffix(1500))")
        }
        assertCleanFailure(result, code: 1, mentions: ["step", "--lr", "diverge"], oneLine: false)
        let lastLine = result.err.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertNotNil(lastLine.range(of: #"step \d+"#, options: .regularExpression),
                        "the message does not name the step: \(lastLine)")
    }

    func testNonFiniteLossStopsTheRun() throws {
        let corpus = try corpus()
        let result = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--steps", "100", "--val-every", "0", "--out", "run", "--lr", "1e38"])
        assertCleanFailure(result, code: 1, mentions: ["step", "--lr", "diverge"], oneLine: false)
        let lastLine = result.err.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(lastLine.hasPrefix("charnn: error:"), "the error is not the last line:\n\(result.err)")
        XCTAssertNotNil(lastLine.range(of: #"step \d+"#, options: .regularExpression),
                        "the message does not name the step: \(lastLine)")
    }

    // MARK: Usage errors

    /// Each bad option fails with exit 64 before any work: the corpus does not even exist.
    func testBadOptionsAreUsageErrorsBeforeAnyWork() throws {
        let missing = sandbox.path("no-such-corpus.txt")
        let cases: [([String], String)] = [
            (["--lr", "0"], "--lr"), (["--lr=-1"], "--lr"), (["--hidden", "0"], "--hidden"),
            (["--layers", "0"], "--layers"), (["--dropout", "1"], "--dropout"), (["--dropout=-0.1"], "--dropout"),
            (["--batch", "0"], "--batch"), (["--seq", "0"], "--seq"), (["--cell", "foo"], "--cell"),
            (["--val-frac", "0"], "--val-frac"),
        ]
        for (options, name) in cases {
            let result = try sandbox.run(["train", missing] + options + ["--out", "run"])
            assertCleanFailure(result, code: 64, mentions: [name], oneLine: false)
            XCTAssertFalse(result.err.contains("no-such-corpus"), "\(options): the corpus was read first:\n\(result.err)")
            XCTAssertFalse(sandbox.exists("run"), "\(options): the output folder was created")
        }
    }

    // MARK: Bad corpora

    func testMissingCorpusIsNamed() throws {
        let result = try sandbox.run(["train", "missing.txt"] + Self.tinyModel + ["--steps", "5"])
        assertCleanFailure(result, code: 1, mentions: ["missing.txt"])
        XCTAssertTrue(result.err.localizedCaseInsensitiveContains("not found")
                      || result.err.localizedCaseInsensitiveContains("no such"), result.err)
    }

    /// A folder is a corpus of the text files in it; one with none is refused by name.
    func testFolderWithoutTextFilesIsRefused() throws {
        try FileManager.default.createDirectory(at: sandbox.url("folder"), withIntermediateDirectories: true)
        let result = try sandbox.run(["train", "folder"] + Self.tinyModel + ["--steps", "5"])
        assertCleanFailure(result, code: 1, mentions: ["folder", "no text files"])
    }

    func testEmptyCorpusIsRefused() throws {
        let empty = try sandbox.write("", to: "empty.txt")
        let result = try sandbox.run(["train", empty] + Self.tinyModel + ["--steps", "5"])
        assertCleanFailure(result, code: 1, mentions: ["empty.txt", "empty"])
    }

    func testCorpusOfOneCharacterIsRefused() throws {
        let same = try sandbox.write(String(repeating: "a", count: 3000), to: "aaaa.txt")
        let result = try sandbox.run(["train", same] + Self.tinyModel + ["--steps", "5"])
        assertCleanFailure(result, code: 1, mentions: ["aaaa.txt", "character"])
        XCTAssertNotNil(result.err.range(of: #"\b(one|single|1|2)\b"#, options: .regularExpression),
                        "the message does not say that one character is too few: \(result.err)")
    }

    func testCorpusTooSmallForBatchTimesSeqStatesTheMinimum() throws {
        let small = try sandbox.write("hello world, a tiny text\n", to: "small.txt")
        let result = try sandbox.run(["train", small] + Self.tinyModel + ["--steps", "5"])
        // --batch 4 × --seq 16 needs 4·16 + 1 = 65 characters.
        assertCleanFailure(result, code: 1, mentions: ["65"])
        XCTAssertTrue(result.err.contains("--batch") || result.err.contains("--seq"), result.err)
    }

    func testInvalidUTF8NamesTheOffsetAndBytesTrainsOnIt() throws {
        var data = Data(Fixtures.generatedText(bytes: 3000, seed: 7).utf8.prefix(3000))
        data[1234] = 0xFF
        let bad = try sandbox.write(data, to: "latin.txt")
        let refused = try sandbox.run(["train", bad] + Self.tinyModel + ["--steps", "5", "--out", "run"])
        assertCleanFailure(refused, code: 1, mentions: ["latin.txt", "1234", "--bytes", "UTF-8"])

        let bytes = try sandbox.run(["train", bad, "--bytes"] + Self.tinyModel + ["--steps", "5", "--out", "run"])
        assertSuccess(bytes)
        XCTAssertTrue(sandbox.exists("run/latest.safetensors.zst"))
    }
}
