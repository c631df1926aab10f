import Foundation
import XCTest
@testable import CharRNN

/// Encoding in chunks gives exactly what encoding the whole text gives, wherever the chunks end:
/// inside multi-byte characters, inside combining sequences (NFC), before an ill-formed byte.
final class ChunkedEncodingTests: XCTestCase {
    /// Random UTF-8 mixing ASCII with 2-, 3- and 4-byte scalars (some of them combining marks).
    private func randomText(scalars: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        let pools: [ClosedRange<UInt32>] = [0x20...0x7E, 0x0A...0x0A, 0xC0...0x17F, 0x300...0x36F,
                                            0x4E00...0x4E40, 0x1F600...0x1F610]
        var text = String.UnicodeScalarView()
        for _ in 0..<scalars {
            let pool = pools[Int(generator.next() % UInt64(pools.count))]
            let value = pool.lowerBound + UInt32(generator.next() % UInt64(pool.count))
            text.append(Unicode.Scalar(value)!)
        }
        return Array(String(text).utf8)
    }

    private func load(_ bytes: [UInt8], chunk: Int, tokenization: Tokenization = .scalars,
                      normalization: Normalization = .none) throws(DataError) -> Corpus {
        var options = CorpusOptions()
        options.tokenization = tokenization
        options.normalization = normalization
        options.chunkSize = chunk
        return try Corpus.load([SourceFile(path: "t.txt", name: "t.txt")], options: options,
                               open: { _ throws(DataError) in ByteReader(bytes) })
    }

    /// An independent reference: Swift's own decoder, ids by rank of code point.
    private func reference(_ text: String) -> (symbols: [String], ids: [Int32]) {
        let sorted = Set(text.unicodeScalars.map(\.value)).sorted()
        let rank = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, Int32($0)) })
        return (sorted.map { String(Unicode.Scalar($0)!) }, text.unicodeScalars.map { rank[$0.value]! })
    }

    func testChunksEndingInsideMultiByteCharactersEncodeAsTheWholeText() throws {
        for seed in 1...3 as ClosedRange<UInt64> {
            let bytes = randomText(scalars: 3000, seed: seed)
            let expected = reference(String(decoding: bytes, as: UTF8.self))
            let whole = try load(bytes, chunk: bytes.count + 1)
            XCTAssertEqual(whole.vocabulary.symbols, expected.symbols)
            XCTAssertEqual(Array(whole.training), expected.ids)
            // Chunks of 1…7 bytes end inside every kind of sequence, many times over.
            for chunk in [1, 2, 3, 4, 5, 7, 64, 1000] {
                let pieces = try load(bytes, chunk: chunk)
                XCTAssertEqual(pieces.vocabulary, whole.vocabulary, "chunk \(chunk)")
                XCTAssertEqual(Array(pieces.training), Array(whole.training), "chunk \(chunk), seed \(seed)")
                XCTAssertEqual(pieces.fingerprint, whole.fingerprint, "chunk \(chunk)")
            }
        }
    }

    /// NFC over chunks: the random text is full of combining marks after letters, so cuts that
    /// separated a letter from its marks would compose differently.
    func testNFCInChunksEqualsNFCOfTheWholeText() throws {
        let bytes = randomText(scalars: 4000, seed: 9)
        let expected = reference(String(decoding: bytes, as: UTF8.self).precomposedStringWithCanonicalMapping)
        for chunk in [2, 5, 16, 333, bytes.count + 1] {
            let corpus = try load(bytes, chunk: chunk, normalization: .nfc)
            XCTAssertEqual(corpus.vocabulary.symbols, expected.symbols, "chunk \(chunk)")
            XCTAssertEqual(Array(corpus.training), expected.ids, "chunk \(chunk)")
        }
    }

    func testBytesInChunksAreTheBytes() throws {
        var generator = SplitMix64(seed: 5)
        let bytes = (0..<5000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let sorted = Set(bytes).sorted()
        for chunk in [1, 3, 4096] {
            let corpus = try load(bytes, chunk: chunk, tokenization: .bytes)
            XCTAssertEqual(corpus.vocabulary.symbols, sorted.map { String(Unicode.Scalar($0)) })
            XCTAssertEqual(corpus.vocabulary.bytes(of: corpus.training), bytes, "chunk \(chunk)")
        }
    }

    /// An ill-formed sequence is reported at its offset in the file, whichever chunk it falls in,
    /// including a sequence cut short by the end of the file.
    func testIllFormedOffsetIsTheSameAtEveryChunkSize() {
        let valid = randomText(scalars: 500, seed: 3)
        let cases: [(bytes: [UInt8], offset: Int)] = [
            (valid + [0x80] + valid, valid.count),
            (valid + [0xE2, 0x82] + Array("a".utf8), valid.count),
            (valid + [0xF0, 0x9F, 0x98], valid.count),
            (Array("é😀".utf8) + [0xFF], 6),
        ]
        for (bytes, offset) in cases {
            XCTAssertEqual(bytes.withUnsafeBufferPointer(StrictUTF8.firstInvalidOffset), offset)
            for chunk in [1, 2, 3, 6, 4096] {
                XCTAssertThrowsError(try load(bytes, chunk: chunk), "chunk \(chunk)") { error in
                    XCTAssertEqual(error as? DataError, .invalidUTF8(path: "t.txt", offset: offset), "chunk \(chunk)")
                }
            }
        }
    }

    /// A 257th symbol arriving after thousands of one-byte ids widens them to two bytes, and the
    /// ids before and after keep their symbols.
    func testIDsWidenWhenTheVocabularyOutgrowsTheirWidth() throws {
        var scalars = String.UnicodeScalarView()
        for i in 0..<3000 { scalars.append(Unicode.Scalar(UInt32(0x61 + i % 20))!) }
        for value in UInt32(0x100)..<0x240 { scalars.append(Unicode.Scalar(value)!) }
        for i in 0..<100 { scalars.append(Unicode.Scalar(UInt32(0x61 + i % 20))!) }
        let text = String(scalars)
        let corpus = try load(Array(text.utf8), chunk: 100)
        XCTAssertEqual(corpus.vocabulary.count, 20 + 0x140)
        XCTAssertEqual(corpus.training.bytesPerID, 2)
        XCTAssertEqual(Array(corpus.training), reference(text).ids)
    }

    func testSafeCutAndCompletePrefix() {
        func complete(_ bytes: [UInt8]) -> Int { bytes.withUnsafeBufferPointer(StrictUTF8.completePrefixLength) }
        XCTAssertEqual(complete(Array("ab".utf8)), 2)
        XCTAssertEqual(complete(Array("a€".utf8)), 4)
        XCTAssertEqual(complete([0x61, 0xE2, 0x82]), 1)
        XCTAssertEqual(complete([0x61, 0xF0, 0x9F, 0x98]), 1)
        XCTAssertEqual(complete([0x61, 0xC3]), 1)
        func cut(_ text: String) -> Int? { Array(text.utf8).withUnsafeBufferPointer(Normalization.lastSafeCut) }
        XCTAssertEqual(cut("ab e\u{301}"), 3, "never between e and its accent")
        XCTAssertNil(cut("e\u{301}"))
    }
}
