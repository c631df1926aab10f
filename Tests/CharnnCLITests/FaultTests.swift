import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Faults around the commands: output folders that cannot be created or written, saves that fail
/// part-way (a full disk, a folder in the way), the temporary of a killed save, and inputs that
/// are not what a command expects. Everything is root-proof: no test relies on file permissions.
final class FaultTests: CLITestCase {
    // MARK: Output folders

    func testOutBelowARegularFileSaysWhy() throws {
        let corpus = try corpus()
        _ = try sandbox.write("not a folder\n", to: "plain")
        let result = try sandbox.run(["train", corpus] + Self.tinyModel + ["--steps", "2", "--out", "plain/ck"])
        assertCleanFailure(result, code: 1, mentions: ["plain/ck"])
        let reasons = ["not a directory", "not a folder", "is a file", "regular file"]
        XCTAssertTrue(reasons.contains { result.err.localizedCaseInsensitiveContains($0) },
                      "the message does not say that 'plain' is a file: \(result.err)")
        XCTAssertEqual(try sandbox.read("plain"), Data("not a folder\n".utf8))
    }

    func testOutThatIsARegularFile() throws {
        let corpus = try corpus()
        _ = try sandbox.write("not a folder\n", to: "plain")
        let result = try sandbox.run(["train", corpus] + Self.tinyModel + ["--steps", "2", "--out", "plain"])
        assertCleanFailure(result, code: 1, mentions: ["plain", "--out"])
        XCTAssertEqual(try sandbox.read("plain"), Data("not a folder\n".utf8))
    }

    /// An existing folder in which nothing can be created, whoever asks: /proc. The run trains,
    /// then its first save fails with the path and the system's reason.
    func testOutInAFolderWhereNothingCanBeCreated() throws {
        let result = try sandbox.run(["train", try corpus()] + Self.tinyModel
                                     + ["--steps", "2", "--val-every", "0", "--out", "/proc"])
        assertCleanFailure(result, code: 1, mentions: ["/proc/"], oneLine: false)
        let last = lastLine(result)
        XCTAssertTrue(last.hasPrefix("charnn: error:") && last.contains("/proc/"), "last line: \(last)")
    }

    // MARK: Saves that fail part-way

    /// A full disk, root-proof: RLIMIT_FSIZE (with SIGXFSZ ignored, which `exec` keeps) makes every
    /// write past 8 KiB fail (EFBIG) as a full disk fails (ENOSPC), and a checkpoint is larger.
    /// The failed save leaves `latest` and `best` as they were, no temporary, and the next run
    /// resumes from them.
    func testSaveThatRunsOutOfSpaceKeepsThePreviousCheckpoints() throws {
        let corpus = try corpus()
        let latest = try trainTiny(corpus: corpus, out: "run", steps: 2)
        let previousLatest = try sandbox.read("run/latest.safetensors.zst")
        let previousBest = try sandbox.read("run/best.safetensors.zst")
        XCTAssertGreaterThan(previousLatest.count, 16 << 10, "the checkpoint must exceed the file-size limit")

        let arguments = ["train", corpus] + Self.tinyModel + ["--steps", "4", "--val-every", "10", "--out", "run", "--resume"]
        // `ulimit -f` counts 512-byte blocks in dash and 1024-byte blocks in bash: 8 or 16 KiB.
        let result = try sandbox.shell("trap '' XFSZ; ulimit -f 16 && exec \"$CHARNN\" "
                                       + arguments.map { "'\($0)'" }.joined(separator: " "))
        assertCleanFailure(result, code: 1, mentions: ["run/", String(cString: strerror(EFBIG))], oneLine: false)
        XCTAssertTrue(lastLine(result).hasPrefix("charnn: error:"), "last line: \(lastLine(result))")
        XCTAssertEqual(try sandbox.read("run/latest.safetensors.zst"), previousLatest, "the failed save changed latest")
        XCTAssertEqual(try sandbox.read("run/best.safetensors.zst"), previousBest, "the failed save changed best")
        XCTAssertEqual(temporaries(in: "run"), [], "the failed save left its temporary")

        assertSuccess(try sandbox.run(arguments), "resuming after the failed save")
        XCTAssertEqual(try trainingStep(latest), 4)
    }

    /// The final rename fails (a folder holds the name of `latest`): exit 1 naming the path, the
    /// checkpoint resumed from and the folder untouched, no temporary left.
    func testSaveBlockedByAFolderKeepsTheResumedCheckpoint() throws {
        let corpus = try corpus()
        _ = try trainTiny(corpus: corpus, out: "run", steps: 2)
        try FileManager.default.moveItem(atPath: sandbox.path("run/latest.safetensors.zst"),
                                         toPath: sandbox.path("previous.safetensors.zst"))
        let previous = try sandbox.read("previous.safetensors.zst")
        try FileManager.default.createDirectory(atPath: sandbox.path("run/latest.safetensors.zst"),
                                                withIntermediateDirectories: false)
        _ = try sandbox.write("keep me\n", to: "run/latest.safetensors.zst/inside.txt")

        let result = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--steps", "4", "--val-every", "0", "--out", "run", "--resume", "previous.safetensors.zst"])
        assertCleanFailure(result, code: 1, mentions: ["run/latest.safetensors.zst", "directory"], oneLine: false)
        XCTAssertTrue(lastLine(result).hasPrefix("charnn: error:"), "last line: \(lastLine(result))")
        XCTAssertEqual(try sandbox.read("previous.safetensors.zst"), previous)
        XCTAssertEqual(try sandbox.read("run/latest.safetensors.zst/inside.txt"), Data("keep me\n".utf8))
        XCTAssertEqual(temporaries(in: "run"), [], "the failed save left its temporary")
    }

    /// The temporaries of a save killed mid-way (a dead PID) are removed by the next run; the one
    /// of a live process (this test's) is not; `latest` then loads and continues.
    func testResumeRemovesTheTemporaryOfAKilledSaveAndKeepsALiveOne() throws {
        let corpus = try corpus()
        let latest = try trainTiny(corpus: corpus, out: "run", steps: 2)
        let half = try sandbox.read("run/latest.safetensors.zst").prefix(1000)
        let dead = try XCTUnwrap([pid_t(999_999), Int32.max - 1].first { kill($0, 0) != 0 && errno == ESRCH })
        let live = ".latest.safetensors.zst.tmp.\(getpid())"
        for name in [".latest.safetensors.zst.tmp.\(dead)", ".best.safetensors.zst.tmp.\(dead)", live] {
            _ = try sandbox.write(Data(half), to: "run/" + name)
        }
        let result = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--steps", "4", "--val-every", "10", "--out", "run", "--resume"])
        assertSuccess(result)
        XCTAssertEqual(temporaries(in: "run"), [live])
        XCTAssertEqual(try trainingStep(latest), 4)
    }

    // MARK: Corpora

    func testDevNullAsCorpusIsEmpty() throws {
        let result = try sandbox.run(["train", "/dev/null"] + Self.tinyModel + ["--steps", "2", "--out", "run"])
        assertCleanFailure(result, code: 1, mentions: ["/dev/null", "empty"])
    }

    /// A file cut inside a multi-byte character (`head -c` on UTF-8): the offset is the last byte.
    func testCorpusCutInsideACharacterNamesItsLastByte() throws {
        var data = Data(Fixtures.generatedText(bytes: 5000, seed: 3).utf8)
        data.append(Data("é".utf8).prefix(1))
        let cut = try sandbox.write(data, to: "cut.txt")
        let result = try sandbox.run(["train", cut] + Self.tinyModel + ["--steps", "2", "--out", "run"])
        assertCleanFailure(result, code: 1, mentions: ["cut.txt", "offset \(data.count - 1)"])
    }

    // MARK: eval and restore

    func testEvalOfInvalidUTF8NamesTheByteOffset() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model", steps: 2)
        var text = Data("the king and the queen".utf8)
        text[6] = 0xFF
        let bad = try sandbox.write(text, to: "bad.txt")
        let result = try sandbox.run(["eval", bad, "--checkpoint", checkpoint])
        assertCleanFailure(result, code: 1, mentions: ["bad.txt", "UTF-8", "offset 6"])
        XCTAssertTrue(result.stdout.isEmpty, result.out)
    }

    /// What an error tells the user to do must be possible with that command.
    func testEvalErrorsSuggestOnlyOptionsThatEvalHas() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model", steps: 2)
        let bad = try sandbox.write(Data([0x61, 0x62, 0xC3]), to: "bad.txt")
        let result = try sandbox.run(["eval", bad, "--checkpoint", checkpoint])
        assertCleanFailure(result, code: 1, mentions: ["bad.txt"])
        let help = try sandbox.run(["eval", "--help"])
        assertSuccess(help)
        let suggested = result.err.matches(of: /--[a-z][a-z-]*/).map { String($0.output) }
        for option in suggested {
            XCTAssertTrue(help.out.contains(option), "the eval error suggests \(option), which eval does not have: \(result.err)")
        }
    }

    /// Nothing to score (no characters, only unknown ones, a single one): a JSON report of zero
    /// characters, or a one-line error naming the file; never an encoder's debug dump.
    func testEvalOfATextWithNothingToScore() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model", steps: 2)
        for (name, text) in [("empty.txt", ""), ("unknown.txt", "☃☃☃"), ("single.txt", "e")] {
            let path = try sandbox.write(text, to: name)
            let result = try sandbox.run(["eval", path, "--checkpoint", checkpoint, "--json"])
            if result.exitCode == 0 {
                let report = try jsonObject(result.stdout)
                XCTAssertEqual(report["chars_scored"] as? Int, 0, "\(name): \(result.out)")
            } else {
                assertCleanFailure(result, code: 1, mentions: [name])
            }
        }
    }

    func testRestoreRefusesALanguageModel() throws {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model", steps: 2)
        let result = try sandbox.run(["restore", "--checkpoint", checkpoint, "some text"])
        assertCleanFailure(result, code: 1, mentions: [checkpoint, "language model", "restoration"])
        XCTAssertTrue(result.stdout.isEmpty, result.out)
    }

    // MARK: - Helpers

    private func temporaries(in folder: String) -> [String] {
        sandbox.files(in: folder).filter { $0.hasPrefix(".") && $0.contains(".tmp.") }
    }

    private func lastLine(_ result: RunResult) -> String {
        result.err.split(separator: "\n").last.map(String.init) ?? ""
    }
}
