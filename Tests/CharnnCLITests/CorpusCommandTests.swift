import Foundation
import XCTest

/// `charnn train` on folders, several files and standard input; `info` listing the files; the
/// errors of corpora that cannot be read.
final class CorpusCommandTests: CLITestCase {
    private func makeFolder() throws {
        let text = Fixtures.corpusText
        let middle = text.index(text.startIndex, offsetBy: text.count / 2)
        try FileManager.default.createDirectory(at: sandbox.url("data/sub"), withIntermediateDirectories: true)
        _ = try sandbox.write(String(text[..<middle]), to: "data/x.txt")
        _ = try sandbox.write(String(text[middle...]), to: "data/sub/y.txt")
        _ = try sandbox.write("hidden\n", to: "data/.notes.txt")
        _ = try sandbox.write(Data([0x89, 0x50, 0x4E, 0x47, 0x00, 0x01]), to: "data/pic.png")
    }

    func testFolderTrainsInfoListsItsFilesAndAChangedFolderIsRefused() throws {
        try makeFolder()
        let train = ["train", "data"] + Self.tinyModel + ["--steps", "4", "--val-every", "0", "--out", "m"]
        let first = try sandbox.run(train + ["--val-chars", "200"])
        assertSuccess(first)
        XCTAssertTrue(first.err.contains("passed over 1 file(s): data/pic.png (not text)"), first.err)
        XCTAssertTrue(first.err.contains("corpus: 2 files"), first.err)
        // Each file's share of the 200 (floored), and the separator between the two shares.
        let validation = first.err.firstMatch(of: /and (\d+) validation characters/).map { Int($0.1)! }
        XCTAssertTrue((199...201).contains(validation ?? 0), first.err)

        let info = try infoJSON(sandbox.path("m/latest.safetensors.zst"))
        let corpus = (info["training"] as? [String: Any])?["corpus"] as? [String: Any]
        let files = corpus?["files"] as? [[String: Any]] ?? []
        XCTAssertEqual(files.compactMap { $0["name"] as? String }, ["data/sub/y.txt", "data/x.txt"])
        XCTAssertEqual(files.compactMap { $0["byteCount"] as? Int },
                       [try sandbox.read("data/sub/y.txt").count, try sandbox.read("data/x.txt").count])
        let text = try sandbox.run(["info", "m/latest.safetensors.zst"])
        assertSuccess(text)
        XCTAssertTrue(text.out.contains("corpus: 2 files"), text.out)
        XCTAssertTrue(text.out.contains("data/sub/y.txt"), text.out)

        let handle = try FileHandle(forWritingTo: sandbox.url("data/x.txt"))
        handle.seekToEndOfFile()
        handle.write(Data("One more line.\n".utf8))
        try handle.close()
        let refused = try sandbox.run(["train", "data", "--steps", "6", "--out", "m", "--resume"])
        assertCleanFailure(refused, code: 1, mentions: ["data/x.txt changed", "--force"])
        let forced = try sandbox.run(["train", "data", "--steps", "6", "--out", "m", "--resume", "--force"])
        assertSuccess(forced)
        XCTAssertEqual(try trainingStep(sandbox.path("m/latest.safetensors.zst")), 6)
    }

    /// `train -` reads standard input; resuming needs the same text piped again.
    func testStandardInputTrainsAndResumesOnTheSameText() throws {
        let text = Data(Fixtures.corpusText.utf8)
        let train = ["train", "-"] + Self.tinyModel + ["--val-every", "0", "--out", "m"]
        assertSuccess(try sandbox.run(train + ["--steps", "3"], stdin: text))
        assertSuccess(try sandbox.run(["train", "-", "--steps", "5", "--out", "m", "--resume"], stdin: text))
        XCTAssertEqual(try trainingStep(sandbox.path("m/latest.safetensors.zst")), 5)
        let other = try sandbox.run(["train", "-", "--steps", "7", "--out", "m", "--resume"], stdin: text + text)
        assertCleanFailure(other, code: 1, mentions: ["standard input changed", "--force"])
    }

    func testCorporaThatCannotBeReadFailBeforeTraining() throws {
        try makeFolder()
        try FileManager.default.createDirectory(at: sandbox.url("nothing/.cache"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: sandbox.url("latin"), withIntermediateDirectories: true)
        _ = try sandbox.write(Data([0, 1, 2]), to: "nothing/blob.bin")
        _ = try sandbox.write(Data("abc".utf8) + Data([0xC3, 0x28]) + Data("def\n".utf8), to: "latin/old.txt")
        let cases: [(arguments: [String], code: Int32, mentions: [String])] = [
            (["data", "nothing"], 1, ["nothing: no text files", "2 passed over"]),
            (["data/x.txt", "data/pic.png"], 1, ["data/pic.png", "not a text file", "--bytes"]),
            (["data", "latin"], 1, ["latin/old.txt", "byte offset 3", "--bytes"]),
            (["data", "missing.txt"], 1, ["missing.txt", "no such file"]),
            (["data", "--val-chars", "0"], 64, ["--val-chars"]),
            (["-", "-"], 64, ["standard input", "once"]),
            ([], 64, ["files or folders"]),
        ]
        for (arguments, code, mentions) in cases {
            let result = try sandbox.run(["train"] + arguments + ["--out", "m"])
            // Usage errors (64) come with the parser's usage line; data errors are one line.
            assertCleanFailure(result, code: code, mentions: mentions, oneLine: code == 1)
            XCTAssertFalse(sandbox.exists("m/latest.safetensors.zst"), "\(arguments) trained")
        }
    }
}
