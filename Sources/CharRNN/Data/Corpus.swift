import Foundation

/// A text tokenised with its own vocabulary: the distinct symbols of the whole text, sorted by
/// code point.
public struct Corpus: Sendable {
    public let vocabulary: Vocabulary
    public let ids: CorpusIDs
    /// Size of the raw text, before normalisation.
    public let byteCount: Int
    public let fingerprint: CorpusFingerprint

    /// Tokenises `bytes`; `origin` (a path) names the text in errors.
    /// - Throws: `DataError.emptyCorpus`, `.invalidUTF8` (scalars), `.normalizationNeedsUTF8`, `.singleSymbol`.
    public init(text bytes: [UInt8], tokenization: Tokenization, normalization: Normalization,
                origin: String) throws(DataError) {
        guard !bytes.isEmpty else { throw .emptyCorpus(path: origin) }
        let text = try Self.normalized(bytes, normalization, origin: origin)
        let encoded = switch tokenization {
        case .scalars: try Self.encodeScalars(text, origin: origin)
        case .bytes: Self.encodeBytes(text)
        }
        guard encoded.vocabulary.count >= 2 else { throw .singleSymbol(path: origin) }
        vocabulary = encoded.vocabulary
        ids = encoded.ids
        byteCount = bytes.count
        fingerprint = CorpusFingerprint(of: bytes)
    }

    /// `bytes` in NFC when asked for; pure ASCII is returned as is (it is already NFC).
    private static func normalized(_ bytes: [UInt8], _ normalization: Normalization,
                                   origin: String) throws(DataError) -> [UInt8] {
        guard normalization == .nfc, !bytes.withUnsafeBufferPointer(StrictUTF8.isASCII) else { return bytes }
        if let offset = bytes.withUnsafeBufferPointer(StrictUTF8.firstInvalidOffset) {
            throw .normalizationNeedsUTF8(path: origin, offset: offset)
        }
        return Array(String(decoding: bytes, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
    }
}

// MARK: - Tokenising

extension Corpus {
    /// Two passes over UTF-8: find the distinct scalars, then map each to its id through a table
    /// indexed by code point. ASCII bytes take a table lookup each; the rest go through `StrictUTF8`.
    static func encodeScalars(_ text: [UInt8], origin: String) throws(DataError) -> (vocabulary: Vocabulary, ids: CorpusIDs) {
        var present = [Bool](repeating: false, count: 0x11_0000)
        var scalarCount = 0, largestValue: UInt32 = 0
        let invalidOffset: Int? = text.withUnsafeBufferPointer { bytes in
            present.withUnsafeMutableBufferPointer { present in
                var i = 0
                while i < bytes.count {
                    while i < bytes.count && bytes[i] < 0x80 {  // ASCII run
                        present[Int(bytes[i])] = true
                        i += 1
                        scalarCount += 1
                    }
                    guard i < bytes.count else { break }
                    let (value, length) = StrictUTF8.decodeMultiByte(bytes, at: i)
                    if length == 0 { return i }
                    present[Int(value)] = true
                    largestValue = max(largestValue, value)
                    i += length
                    scalarCount += 1
                }
                return nil
            }
        }
        if let invalidOffset { throw .invalidUTF8(path: origin, offset: invalidOffset) }

        let values = (0...max(largestValue, 0x7F)).filter { present[Int($0)] }
        let vocabulary = Vocabulary(sortedScalarValues: values, tokenization: .scalars)
        let ids: CorpusIDs = switch CorpusIDs.bytesPerID(vocabularySize: values.count) {
        case 1: CorpusIDs(storage: .uint8(mapScalars(text, count: scalarCount, values: values)[...]))
        case 2: CorpusIDs(storage: .uint16(mapScalars(text, count: scalarCount, values: values)[...]))
        default: CorpusIDs(storage: .uint32(mapScalars(text, count: scalarCount, values: values)[...]))
        }
        return (vocabulary, ids)
    }

    /// Pass 2: the id of each of the `count` scalars of valid UTF-8 `text`; `values` are the sorted
    /// distinct code points.
    private static func mapScalars<ID: FixedWidthInteger & UnsignedInteger>(
        _ text: [UInt8], count: Int, values: [UInt32]
    ) -> [ID] {
        var idOfValue = [ID](repeating: 0, count: Int(values.last!) + 1)
        for (id, value) in values.enumerated() { idOfValue[Int(value)] = ID(id) }
        return [ID](unsafeUninitializedCapacity: count) { ids, initializedCount in
            text.withUnsafeBufferPointer { bytes in
                idOfValue.withUnsafeBufferPointer { idOfValue in
                    var i = 0, j = 0
                    while i < bytes.count {
                        while i < bytes.count && bytes[i] < 0x80 {  // ASCII run
                            ids[j] = idOfValue[Int(bytes[i])]
                            i += 1
                            j += 1
                        }
                        guard i < bytes.count else { break }
                        let (value, length) = StrictUTF8.decodeMultiByte(bytes, at: i)
                        ids[j] = idOfValue[Int(value)]
                        i += length
                        j += 1
                    }
                    precondition(j == count, "pass 2 decoded \(j) scalars, pass 1 counted \(count)")
                }
            }
            initializedCount = count
        }
    }

    /// One id per byte; the vocabulary is the byte values present.
    static func encodeBytes(_ text: [UInt8]) -> (vocabulary: Vocabulary, ids: CorpusIDs) {
        var present = [Bool](repeating: false, count: 256)
        text.withUnsafeBufferPointer { bytes in
            present.withUnsafeMutableBufferPointer { present in
                for byte in bytes { present[Int(byte)] = true }
            }
        }
        let values = present.indices.compactMap { present[$0] ? UInt32($0) : nil }
        var idOfByte = [UInt8](repeating: 0, count: 256)
        for (id, value) in values.enumerated() { idOfByte[Int(value)] = UInt8(id) }
        let ids = [UInt8](unsafeUninitializedCapacity: text.count) { ids, initializedCount in
            text.withUnsafeBufferPointer { bytes in
                idOfByte.withUnsafeBufferPointer { idOfByte in
                    for i in bytes.indices { ids[i] = idOfByte[Int(bytes[i])] }
                }
            }
            initializedCount = text.count
        }
        return (Vocabulary(sortedScalarValues: values, tokenization: .bytes), CorpusIDs(storage: .uint8(ids[...])))
    }
}
