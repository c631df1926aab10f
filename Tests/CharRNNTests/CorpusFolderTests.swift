import Foundation
import XCTest
@testable import CharRNN

/// Corpora of several files and folders: the walk, the per-file holdout, the fingerprint.
final class CorpusFolderTests: XCTestCase {
    var folder = ""

    override func setUp() { folder = makeTemporaryFolder() }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    private func write(_ text: String, to name: String) throws {
        try FileManager.default.createDirectory(atPath: (path(name) as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path(name)))
    }

    /// Lines of one letter: `letter` marks which file a character came from.
    private func lines(of letter: Character, count: Int) -> String {
        String(repeating: String(repeating: letter, count: 30) + "\n", count: count)
    }

    /// data/ with nested text files, a hidden file, a hidden folder, a binary file, a symlink loop.
    private func makeFolder() throws {
        try write(lines(of: "a", count: 40), to: "data/a.txt")
        try write(lines(of: "b", count: 40), to: "data/deeper/b.txt")
        try write(lines(of: "c", count: 40), to: "data/deeper/c.md")
        try write("ZZZZ hidden\n", to: "data/.hidden.txt")
        try write("YYYY\n", to: "data/.git/config")
        try Data([0x51, 0x00, 0x51, 0x0A]).write(to: URL(fileURLWithPath: path("data/image.png")))
        try FileManager.default.createSymbolicLink(atPath: path("data/deeper/loop"), withDestinationPath: "..")
    }

    func testWalkTakesTextFilesInSortedPathOrder() throws {
        try makeFolder()
        let selection = try CorpusSources.resolve([path("data")])
        XCTAssertEqual(selection.files.map(\.name), ["data/a.txt", "data/deeper/b.txt", "data/deeper/c.md"])
        XCTAssertEqual(selection.files.map(\.path), [path("data/a.txt"), path("data/deeper/b.txt"), path("data/deeper/c.md")])
        let skipped = Dictionary(uniqueKeysWithValues: selection.skipped.map {
            (($0.path as NSString).lastPathComponent, $0.reason)
        })
        XCTAssertEqual(skipped, [".hidden.txt": .hidden, ".git": .hidden, "image.png": .notText, "loop": .symlinkLoop])

        let included = try CorpusSources.resolve([path("data")], include: ["*.txt"])
        XCTAssertEqual(included.files.map(\.name), ["data/a.txt", "data/deeper/b.txt"])
        // Bytes models take every regular file; a file named on its own is taken whatever --include says.
        let bytes = try CorpusSources.resolve([path("data"), path("data/deeper/c.md")], include: ["*.txt"],
                                              tokenization: .bytes)
        XCTAssertEqual(bytes.files.map(\.name), ["data/a.txt", "data/deeper/b.txt", "c.md"])
    }

    func testBadSourcesAreNamed() throws {
        try makeFolder()
        try FileManager.default.createDirectory(atPath: path("empty/.hidden"), withIntermediateDirectories: true)
        try write("x\n", to: "empty/.hidden/x.txt")
        XCTAssertThrowsError(try CorpusSources.resolve([path("data"), path("empty")])) { error in
            XCTAssertEqual(error as? DataError, .noTextFiles(folder: path("empty"), skipped: 1))
        }
        XCTAssertThrowsError(try CorpusSources.resolve([path("data/a.txt"), path("data/image.png")])) { error in
            XCTAssertEqual(error as? DataError, .binaryFile(path: path("data/image.png"), offset: 1))
            XCTAssertTrue("\(error)".contains("--bytes"))
        }
        XCTAssertThrowsError(try CorpusSources.resolve([path("missing")])) { error in
            XCTAssertEqual(error as? DataError, .fileNotFound(path: path("missing")))
        }
    }

    /// training = head₁ ‖ sep ‖ head₂ …, validation = tail₁ ‖ sep ‖ tail₂ …, an empty file adding nothing.
    func testEachFileHoldsOutItsEndJoinedByTheSeparator() throws {
        let texts = ["aaaaaaaaaA", "", "bbbbbbbbbbbbbbbbbbbB"]
        var options = CorpusOptions()
        options.separator = "|"
        options.holdout = Holdout(fraction: 0.1)
        let files = texts.indices.map { SourceFile(path: "f\($0)", name: "f\($0)") }
        var next = 0
        let corpus = try Corpus.load(files, options: options) { _ throws(DataError) in
            defer { next += 1 }
            return ByteReader(Array(texts[next].utf8))
        }
        func text(_ ids: CorpusIDs) -> String { String(decoding: corpus.vocabulary.bytes(of: ids), as: UTF8.self) }
        XCTAssertEqual(text(corpus.training), "aaaaaaaaa|bbbbbbbbbbbbbbbbbb")
        XCTAssertEqual(text(corpus.validation), "A|bB")
        XCTAssertEqual(corpus.sources.map(\.characterCount), [10, 0, 20])
        XCTAssertEqual(corpus.sources.map(\.validationCount), [1, 0, 2])
        XCTAssertEqual(corpus.fingerprint.files?.map(\.name), ["f0", "f1", "f2"])
        XCTAssertEqual(corpus.byteCount, 30)
    }

    func testHoldoutCountsPerFileAndTheLimit() {
        XCTAssertEqual(Holdout(fraction: 0.1).counts(characters: [100, 7, 55]), [10, 0, 5])
        // 0.29 · 100 is 28.999… in binary floating point; ⌊·⌋ gives 28, as Python's int(0.29 * 100).
        XCTAssertEqual(Holdout(fraction: 0.29).counts(characters: [100]), [28])
        XCTAssertEqual(Holdout(fraction: 0.5).counts(characters: [7]), [3])
        // Σ ⌊f·n⌋ = 60 + 30 + 10 = 100 > 50: each keeps its share, ⌊h·50/100⌋.
        XCTAssertEqual(Holdout(fraction: 0.1, limit: 50).counts(characters: [600, 300, 100]), [30, 15, 5])
        XCTAssertEqual(Holdout(fraction: 0.1, limit: 1000).counts(characters: [600, 300, 100]), [60, 30, 10])
        // Gigabyte sizes: h·limit passes 2⁶³ without trapping.
        XCTAssertEqual(Holdout(fraction: 0.5, limit: 1 << 40).counts(characters: [1 << 50, 1 << 50]),
                       [1 << 39, 1 << 39])
    }

    /// The Done-when test: a nested folder with a hidden file and a non-text file trains, neither
    /// excluded file reaches the vocabulary, and the validation windows hold text of every file.
    func testFolderCorpusTrainsWithValidationFromEveryFile() throws {
        try makeFolder()
        var options = tinyOptions(corpus: path("data"), out: path("model"), steps: 4)
        options.validationFraction = 0.2
        let trainer = try Trainer(options: options)
        XCTAssertEqual(trainer.corpus.sources.map(\.file.name), ["data/a.txt", "data/deeper/b.txt", "data/deeper/c.md"])
        XCTAssertEqual(trainer.vocabulary.symbols, ["\n", "a", "b", "c"], "hidden and binary files stay out")

        var seen = Set<String>()
        let network = trainer.validator.network
        for k in 0..<trainer.validator.windowCount {
            trainer.validator.source.fill(window: k, into: network)
            for id in network.inputs { seen.insert(trainer.vocabulary.symbol(id)) }
        }
        XCTAssertEqual(seen, ["\n", "a", "b", "c"], "validation windows must come from every file")
        let summary = try trainer.run { _ in }
        XCTAssertEqual(summary.steps, 4)
        XCTAssertTrue(summary.bestValidationLoss?.isFinite ?? false)
    }

    /// A changed folder (an edited file, a new file) is refused on resume unless forced; the same
    /// folder resumes.
    func testResumeRefusesAChangedFolder() throws {
        try makeFolder()
        let options = tinyOptions(corpus: path("data"), out: path("model"), steps: 2)
        _ = try Trainer(options: options).run { _ in }
        var resume = options
        resume.resume = ""
        resume.budget = .steps(3)
        XCTAssertNoThrow(try Trainer(options: resume), "the same folder must resume")

        try write(lines(of: "b", count: 41), to: "data/deeper/b.txt")
        try write(lines(of: "a", count: 2), to: "data/new.txt")
        XCTAssertThrowsError(try Trainer(options: resume)) { error in
            guard case TrainingError.corpusMismatch = error else { return XCTFail("\(error)") }
            let message = "\(error)"
            XCTAssertTrue(message.contains("data/deeper/b.txt changed (1240 → 1271 bytes)"), message)
            XCTAssertTrue(message.contains("data/new.txt is new"), message)
            XCTAssertTrue(message.contains("--force"), message)
        }
        resume.force = true
        XCTAssertNoThrow(try Trainer(options: resume))
    }

    /// A checkpoint from before file lists (size and hash only) still resumes on its one file.
    func testFingerprintWithoutFilesMatchesOnSizeAndHash() throws {
        try write("some text\n", to: "one.txt")
        let corpus = try Corpus.load(path: path("one.txt"))
        let old = CorpusFingerprint(byteCount: corpus.fingerprint.byteCount, hash: corpus.fingerprint.hash)
        XCTAssertTrue(corpus.fingerprint.matches(old))
        XCTAssertEqual(corpus.fingerprint.hash, CorpusFingerprint(of: Array("some text\n".utf8)).hash)
        XCTAssertFalse(corpus.fingerprint.matches(CorpusFingerprint(byteCount: 10, hash: "fnv1a64:0000000000000000")))
        let json = try JSONDecoder().decode(CorpusFingerprint.self, from: Data(#"{"byteCount":10,"hash":"h"}"#.utf8))
        XCTAssertNil(json.files)
    }
}
