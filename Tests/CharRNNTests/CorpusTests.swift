import Foundation
import XCTest
@testable import CharRNN

final class CorpusTests: XCTestCase {
    private func corpus(_ text: String, _ tokenization: Tokenization = .scalars,
                        _ normalization: Normalization = .none) throws -> Corpus {
        try Corpus(text: Array(text.utf8), tokenization: tokenization, normalization: normalization, origin: "t.txt")
    }

    private func corpus(bytes: [UInt8], _ tokenization: Tokenization = .scalars) throws(DataError) -> Corpus {
        try Corpus(text: bytes, tokenization: tokenization, normalization: .none, origin: "t.txt")
    }

    private func assertRoundTrip(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let corpus = try corpus(text)
        XCTAssertEqual(corpus.training.count, text.unicodeScalars.count, file: file, line: line)
        XCTAssertEqual(corpus.vocabulary.bytes(of: corpus.training), Array(text.utf8), file: file, line: line)
        XCTAssertEqual(corpus.byteCount, text.utf8.count, file: file, line: line)
    }

    // MARK: - Round trips and vocabulary

    func testASCIIRoundTripAndSortedVocabulary() throws {
        let text = "First Citizen:\nBefore we proceed any further, hear me speak.\n"
        try assertRoundTrip(text)
        let corpus = try corpus(text)
        let expected = Set(text.unicodeScalars).sorted { $0.value < $1.value }.map(String.init)
        XCTAssertEqual(corpus.vocabulary.symbols, expected)
        XCTAssertEqual(corpus.vocabulary.tokenization, .scalars)
        XCTAssertEqual(corpus.training[0], Int32(expected.firstIndex(of: "F")!))
    }

    func testMultiByteRoundTrip() throws {
        try assertRoundTrip("Tiếng Việt có dấu")
        try assertRoundTrip("emoji 😀🎉 and € and ß, then Tiếng Việt\n")
        let corpus = try corpus("Tiếng Việt có dấu")
        XCTAssertTrue(corpus.vocabulary.symbols.contains("ế"))
        XCTAssertEqual(corpus.vocabulary.count, Set("Tiếng Việt có dấu".unicodeScalars).count)
    }

    func testVocabularyIsSortedByCodePointNotByString() throws {
        // Swift's String `<` is not code-point order for all inputs; ids must be.
        let corpus = try corpus("😀zé\u{212B}a\u{C5}\u{1F}")
        let values = corpus.vocabulary.symbols.map { $0.unicodeScalars.first!.value }
        XCTAssertEqual(values, [0x1F, 0x61, 0x7A, 0xC5, 0xE9, 0x212B, 0x1F600])
    }

    func testNFDInputNormalizesToNFCVocabulary() throws {
        let nfc = "Tiếng Việt có dấu, Truyện Kiều"
        let nfd = nfc.decomposedStringWithCanonicalMapping
        XCTAssertNotEqual(Array(nfd.utf8), Array(nfc.utf8))
        let fromNFC = try corpus(nfc)
        let normalized = try corpus(nfd, .scalars, .nfc)
        XCTAssertEqual(normalized.vocabulary, fromNFC.vocabulary)
        XCTAssertEqual(Array(normalized.training), Array(fromNFC.training))
        XCTAssertEqual(normalized.byteCount, nfd.utf8.count, "byteCount is of the raw text")
        XCTAssertEqual(normalized.fingerprint.hash, CorpusFingerprint(of: Array(nfd.utf8)).hash, "of the raw text")

        let raw = try corpus(nfd, .scalars, .none)
        XCTAssertTrue(raw.vocabulary.symbols.contains("\u{301}"), "combining acute stays a symbol")
        XCTAssertTrue(raw.vocabulary.symbols.contains("\u{323}"), "combining dot below stays a symbol")
        XCTAssertFalse(raw.vocabulary.symbols.contains("ế"))
        XCTAssertEqual(raw.training.count, nfd.unicodeScalars.count)
    }

    // MARK: - Bytes mode

    func testBytesModeUsesByteValues() throws {
        let text = "aé€"  // 61 C3 A9 E2 82 AC
        let corpus = try corpus(text, .bytes)
        XCTAssertEqual(corpus.vocabulary.tokenization, .bytes)
        XCTAssertEqual(corpus.vocabulary.symbols, ["\u{61}", "\u{82}", "\u{A9}", "\u{AC}", "\u{C3}", "\u{E2}"])
        XCTAssertEqual(corpus.training.count, 6)
        XCTAssertEqual(corpus.vocabulary.bytes(of: corpus.training), Array(text.utf8))
    }

    func testBytesModeAcceptsInvalidUTF8() throws {
        let bytes: [UInt8] = [0x61, 0xFF, 0x80, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0x61, 0xE1]
        let corpus = try corpus(bytes: bytes, .bytes)
        XCTAssertEqual(corpus.vocabulary.count, 8)
        XCTAssertEqual(corpus.vocabulary.bytes(of: corpus.training), bytes)
        XCTAssertEqual(corpus.training.bytesPerID, 1)
    }

    func testNFCInBytesModeNeedsUTF8() {
        let bytes: [UInt8] = Array("é".utf8) + [0xFF]
        assertDataError(try Corpus(text: bytes, tokenization: .bytes, normalization: .nfc, origin: "t.txt"),
                        .normalizationNeedsUTF8(path: "t.txt", offset: 2))
    }

    // MARK: - Errors

    func testInvalidUTF8ReportsOffsetOfBadSequence() {
        let cases: [(name: String, bytes: [UInt8], offset: Int)] = [
            ("lone continuation byte", [0x61, 0x62, 0x80, 0x63], 2),
            ("truncated 3-byte sequence at end", [0x61, 0x62, 0x63, 0xE1, 0x80], 3),
            ("truncated 2-byte sequence before ASCII", [0x61, 0xC3, 0x61], 1),
            ("truncated 4-byte sequence before ASCII", [0xF0, 0x9F, 0x98, 0x61], 0),
            ("overlong 2-byte '/'", [0x61, 0xC0, 0xAF], 1),
            ("overlong 3-byte '/'", [0x61, 0x62, 0xE0, 0x80, 0xAF], 2),
            ("overlong 4-byte", [0xF0, 0x8F, 0xBF, 0xBF], 0),
            ("surrogate U+D800", [0x78, 0x79, 0xED, 0xA0, 0x80], 2),
            ("above U+10FFFF", [0x61, 0xF4, 0x90, 0x80, 0x80], 1),
            ("byte F5", [0x61, 0xF5, 0x80, 0x80, 0x80], 1),
            ("byte FF after valid multi-byte", Array("é😀".utf8) + [0xFF], 6),
        ]
        for (name, bytes, offset) in cases {
            do {
                _ = try corpus(bytes: bytes)
                XCTFail("\(name): accepted")
            } catch {
                XCTAssertEqual(error, .invalidUTF8(path: "t.txt", offset: offset), name)
                XCTAssertTrue(error.description.contains("byte offset \(offset)"), name)
                XCTAssertTrue(error.description.contains("--bytes"), name)
            }
        }
    }

    func testBoundaryScalarsDecode() throws {
        try assertRoundTrip("\u{0}\u{7F}\u{80}\u{7FF}\u{800}\u{D7FF}\u{E000}\u{FFFF}\u{10000}\u{10FFFF}")
    }

    func testEmptyAndSingleSymbolCorpora() {
        assertDataError(try corpus(bytes: []), .emptyCorpus(path: "t.txt"))
        assertDataError(try corpus(bytes: Array("aaaa".utf8)), .singleSymbol(path: "t.txt"))
        assertDataError(try corpus(bytes: [0xFF, 0xFF], .bytes), .singleSymbol(path: "t.txt"))
        assertDataError(try corpus(bytes: Array("éé".utf8)), .singleSymbol(path: "t.txt"))
        XCTAssertTrue(DataError.singleSymbol(path: "t.txt").description.contains("at least 2"))
    }

    // MARK: - Storage width

    func testSmallestIDTypeIsChosen() throws {
        func distinct(_ count: Int) -> String {
            // Scalars from U+0100 up, skipping surrogates.
            var scalars = String.UnicodeScalarView()
            var (value, added): (UInt32, Int) = (0x100, 0)
            while added < count {
                if let scalar = Unicode.Scalar(value) {
                    scalars.append(scalar)
                    added += 1
                }
                value += 1
            }
            return String(scalars)
        }
        XCTAssertEqual(try corpus("hello").training.bytesPerID, 1)
        XCTAssertEqual(try corpus(distinct(256)).training.bytesPerID, 1)
        XCTAssertEqual(try corpus(distinct(257)).training.bytesPerID, 2)
        XCTAssertEqual(try corpus(distinct(65_536)).training.bytesPerID, 2)
        let large = try corpus(distinct(65_537))
        XCTAssertEqual(large.training.bytesPerID, 4)
        XCTAssertEqual(large.training[65_536], 65_536)
        XCTAssertEqual(CorpusIDs([0, 1, 2], vocabularySize: 300).bytesPerID, 2)
    }

    func testIDsSliceIsZeroBased() {
        let ids = CorpusIDs(Array(0..<10), vocabularySize: 10)
        let middle = ids.slice(3..<8)
        XCTAssertEqual(middle.count, 5)
        XCTAssertEqual(middle[0], 3)
        XCTAssertEqual(Array(middle.slice(1..<3)), [4, 5])
    }

    // MARK: - Fingerprint and files

    func testFingerprintIsFNV1a64OfRawBytes() {
        XCTAssertEqual(CorpusFingerprint(of: []).hash, "fnv1a64:cbf29ce484222325")
        XCTAssertEqual(CorpusFingerprint(of: Array("a".utf8)).hash, "fnv1a64:af63dc4c8601ec8c")
        XCTAssertEqual(CorpusFingerprint(of: Array("foobar".utf8)),
                       CorpusFingerprint(byteCount: 6, hash: "fnv1a64:85944171f73967e8"))
    }

    func testLoadReadsFileAndNamesPathInErrors() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("charnn-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("text.txt").path
        try Data("foobar".utf8).write(to: URL(fileURLWithPath: file))

        let corpus = try Corpus.load(path: file)
        XCTAssertEqual(corpus.vocabulary.symbols, ["a", "b", "f", "o", "r"])
        XCTAssertEqual(corpus.fingerprint.hash, "fnv1a64:85944171f73967e8")

        let missing = directory.appendingPathComponent("missing.txt").path
        assertDataError(try Corpus.load(path: missing), .fileNotFound(path: missing))
        assertDataError(try Corpus.load(path: directory.path), .isDirectory(path: directory.path))
        XCTAssertTrue(DataError.isDirectory(path: directory.path).description.contains(directory.path))
    }

    func testEveryDescriptionIsOneLine() {
        let errors: [DataError] = [
            .fileNotFound(path: "p"), .isDirectory(path: "p"), .permissionDenied(path: "p"),
            .unreadable(path: "p", reason: "r"), .invalidUTF8(path: "p", offset: 3),
            .normalizationNeedsUTF8(path: "p", offset: 3), .emptyCorpus(path: "p"), .singleSymbol(path: "p"),
            .noTextFiles(folder: "p", skipped: 2), .binaryFile(path: "p", offset: 4),
            .corpusTooSmall(role: "training", have: 1, need: 2, batch: 1, steps: 1),
            .emptyValidation(characters: 10, fraction: 0.01), .emptyVocabulary,
            .symbolNotOneScalar(index: 0, symbol: "ab\n"), .symbolsNotIncreasing(index: 1),
            .byteSymbolOutOfRange(index: 0, symbol: "\u{100}"),
        ]
        for error in errors {
            XCTAssertFalse(error.description.contains("\n"), "\(error)")
        }
    }

    // MARK: - Fixtures

    /// A text file committed in Fixtures/ next to this file, so these run wherever the sources are.
    private func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    /// Vietnamese in NFC: 88 distinct scalars in 561. Read as is, normalised to NFC, or decomposed to
    /// NFD and normalised back, it has the same symbols and ids; its NFD form read raw has the 52
    /// distinct scalars of the decomposition (base letters and combining marks) in 715.
    func testVietnameseFixtureHasTheSameSymbolsInNFCEvenFromNFD() throws {
        let path = fixture("vietnamese.txt")
        let asIs = try Corpus.load(path: path)
        XCTAssertEqual(asIs.vocabulary.count, 88)
        XCTAssertEqual(asIs.training.count, 561)
        let normalized = try Corpus.load(path: path, normalization: .nfc)
        XCTAssertEqual(normalized.vocabulary, asIs.vocabulary)
        XCTAssertEqual(Array(normalized.training), Array(asIs.training))

        let text = try String(contentsOfFile: path, encoding: .utf8)
        let nfd = Array(text.decomposedStringWithCanonicalMapping.utf8)
        let fromNFD = try Corpus(text: nfd, tokenization: .scalars, normalization: .nfc, origin: path)
        XCTAssertEqual(fromNFD.vocabulary, asIs.vocabulary)
        XCTAssertEqual(Array(fromNFD.training), Array(asIs.training))
        XCTAssertEqual(fromNFD.vocabulary.bytes(of: fromNFD.training), Array(text.utf8))

        let raw = try Corpus(text: nfd, tokenization: .scalars, normalization: .none, origin: path)
        XCTAssertEqual(raw.vocabulary.count, 52)
        XCTAssertEqual(raw.training.count, 715)
        XCTAssertEqual(raw.vocabulary.bytes(of: raw.training), nfd)
        XCTAssertTrue(raw.vocabulary.symbols.contains("\u{303}"), "combining tilde stays a symbol")
        XCTAssertTrue(raw.vocabulary.symbols.contains("\u{31B}"), "combining horn stays a symbol")
        XCTAssertFalse(raw.vocabulary.symbols.contains("ữ"))
        XCTAssertTrue(raw.vocabulary.symbols.contains("đ"), "đ has no decomposition")
    }

    /// ASCII Shakespeare: 55 distinct characters in 2,453, read back byte for byte, with the
    /// FNV-1a fingerprint of the file.
    func testShakespeareFixtureRoundTripsWithItsFingerprint() throws {
        let path = fixture("shakespeare.txt")
        let corpus = try Corpus.load(path: path)
        XCTAssertEqual(corpus.vocabulary.count, 55)
        XCTAssertEqual(corpus.training.count, 2453)
        XCTAssertEqual(corpus.byteCount, 2453)
        XCTAssertEqual(corpus.fingerprint.hash, "fnv1a64:691d6f3d130789a4")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(corpus.vocabulary.bytes(of: corpus.training), Array(bytes))
        XCTAssertEqual(corpus.vocabulary.symbols.first, "\n", "the lowest code point has id 0")
    }
}
