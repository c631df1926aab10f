import Foundation
import XCTest
@testable import CharRNN

final class VocabularyTests: XCTestCase {
    func testInitAcceptsSortedSingleScalars() throws {
        let vocabulary = try Vocabulary(symbols: ["\n", " ", "A", "a", "é", "😀"], tokenization: .scalars)
        XCTAssertEqual(vocabulary.count, 6)
        XCTAssertEqual(vocabulary.id(of: "é"), 4)
        XCTAssertEqual(vocabulary.id(of: "😀"), 5)
        XCTAssertNil(vocabulary.id(of: "b"))
        XCTAssertEqual(vocabulary.symbol(3), "a")
    }

    func testInitRejectsMalformedSymbolLists() {
        assertDataError(try Vocabulary(symbols: [], tokenization: .scalars), .emptyVocabulary)
        assertDataError(try Vocabulary(symbols: ["a", "bc"], tokenization: .scalars),
                     .symbolNotOneScalar(index: 1, symbol: "bc"))
        assertDataError(try Vocabulary(symbols: ["a", "e\u{301}"], tokenization: .scalars),
                     .symbolNotOneScalar(index: 1, symbol: "e\u{301}"))
        assertDataError(try Vocabulary(symbols: ["", "a"], tokenization: .scalars),
                     .symbolNotOneScalar(index: 0, symbol: ""))
        assertDataError(try Vocabulary(symbols: ["a", "c", "b"], tokenization: .scalars), .symbolsNotIncreasing(index: 2))
        assertDataError(try Vocabulary(symbols: ["a", "b", "b"], tokenization: .scalars), .symbolsNotIncreasing(index: 2))
        assertDataError(try Vocabulary(symbols: ["a", "\u{100}"], tokenization: .bytes),
                     .byteSymbolOutOfRange(index: 1, symbol: "\u{100}"))
    }

    /// U+00C5 and U+212B are canonically equivalent, so `String ==` calls them equal; ids must not.
    func testEqualityComparesCodePoints() throws {
        let letter = try Vocabulary(symbols: ["a", "\u{C5}"], tokenization: .scalars)
        let angstrom = try Vocabulary(symbols: ["a", "\u{212B}"], tokenization: .scalars)
        XCTAssertNotEqual(letter, angstrom)
        XCTAssertEqual(letter, try Vocabulary(symbols: ["a", "\u{C5}"], tokenization: .scalars))
        XCTAssertNotEqual(letter, try Vocabulary(symbols: ["a", "\u{C5}"], tokenization: .bytes))
    }

    func testAppendUTF8WritesEachScalarsEncoding() throws {
        let symbols = ["a", "\u{E9}", "\u{20AC}", "\u{1F600}"]  // 1, 2, 3 and 4 UTF-8 bytes
        let vocabulary = try Vocabulary(symbols: symbols, tokenization: .scalars)
        for (id, symbol) in symbols.enumerated() {
            var bytes: [UInt8] = [0x7E]
            vocabulary.appendUTF8(of: Int32(id), to: &bytes)
            XCTAssertEqual(bytes, [0x7E] + Array(symbol.utf8), "id \(id)")
        }
    }

    func testAppendUTF8WritesRawBytesInBytesMode() throws {
        let vocabulary = try Vocabulary(symbols: ["\u{41}", "\u{C3}", "\u{FF}"], tokenization: .bytes)
        XCTAssertEqual(vocabulary.bytes(of: [2, 0, 1]), [0xFF, 0x41, 0xC3])
    }

    func testEncodeListsUnknownScalarsInOrder() throws {
        let vocabulary = try Vocabulary(symbols: [" ", "a", "b"], tokenization: .scalars)
        let encoded = vocabulary.encode("a x b y x", normalization: .none)
        XCTAssertEqual(encoded.ids, [1, 0, 0, 2, 0, 0])
        XCTAssertEqual(encoded.unknown, ["x", "y", "x"])
    }

    func testEncodeInBytesModeUsesUTF8Bytes() throws {
        let vocabulary = try Vocabulary(symbols: ["a", "\u{A9}", "\u{C3}"], tokenization: .bytes)
        let encoded = vocabulary.encode("aé©", normalization: .none)  // 61 C3 A9 C2 A9
        XCTAssertEqual(encoded.ids, [0, 2, 1, 1])
        XCTAssertEqual(encoded.unknown, ["\u{C2}"])
    }

    func testEncodeNormalizesToNFCOnRequest() throws {
        let vocabulary = try Vocabulary(symbols: ["e", "\u{EA}", "\u{1EBF}"], tokenization: .scalars)  // e ê ế
        let decomposed = "\u{65}\u{302}\u{301}e"
        XCTAssertEqual(vocabulary.encode(decomposed, normalization: .nfc).ids, [2, 0])
        let raw = vocabulary.encode(decomposed, normalization: .none)
        XCTAssertEqual(raw.ids, [0, 0])
        XCTAssertEqual(raw.unknown, ["\u{302}", "\u{301}"])
    }

    func testRoundTripThroughSymbolsAndIDs() throws {
        let text = "Tiếng Việt có dấu 🇻🇳!"
        let corpus = try Corpus(text: Array(text.utf8), tokenization: .scalars, normalization: .none, origin: "t")
        let encoded = corpus.vocabulary.encode(text, normalization: .none)
        XCTAssertEqual(encoded.unknown, [])
        XCTAssertEqual(encoded.ids, Array(corpus.training))
        XCTAssertEqual(String(decoding: corpus.vocabulary.bytes(of: encoded.ids), as: UTF8.self), text)
        let rebuilt = try Vocabulary(symbols: corpus.vocabulary.symbols, tokenization: .scalars)
        XCTAssertEqual(rebuilt, corpus.vocabulary)
    }
}

func assertDataError<T>(_ expression: @autoclosure () throws(DataError) -> T, _ expected: DataError,
                     file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try expression()
        XCTFail("expected \(expected), got a value", file: file, line: line)
    } catch {
        XCTAssertEqual(error, expected, file: file, line: line)
    }
}
