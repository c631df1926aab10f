import Foundation

/// The symbols a model reads and writes, one per id, sorted by code point.
///
/// In `scalars` mode each symbol is one Unicode scalar. In `bytes` mode each symbol is a byte
/// value `v`, stored as the one-scalar string U+00vv (Latin-1), so that both kinds of vocabulary
/// serialise as a JSON array of strings.
public struct Vocabulary: Equatable, Sendable {
    /// One string per id, in id order.
    public let symbols: [String]
    public let tokenization: Tokenization
    /// Code point of each symbol, in id order (strictly increasing).
    let scalarValues: [UInt32]

    public var count: Int { symbols.count }

    /// Checks that `symbols` is non-empty, one Unicode scalar each, in strictly increasing code-point
    /// order and, for `bytes`, within U+0000…U+00FF.
    public init(symbols: [String], tokenization: Tokenization) throws(DataError) {
        guard !symbols.isEmpty else { throw .emptyVocabulary }
        var values: [UInt32] = []
        values.reserveCapacity(symbols.count)
        for (index, symbol) in symbols.enumerated() {
            let scalars = symbol.unicodeScalars
            guard scalars.count == 1, let scalar = scalars.first else {
                throw .symbolNotOneScalar(index: index, symbol: symbol)
            }
            if tokenization == .bytes && scalar.value > 0xFF {
                throw .byteSymbolOutOfRange(index: index, symbol: symbol)
            }
            if let previous = values.last, scalar.value <= previous {
                throw .symbolsNotIncreasing(index: index)
            }
            values.append(scalar.value)
        }
        self.init(sortedScalarValues: values, tokenization: tokenization)
    }

    /// For code points already known to be valid, distinct and sorted.
    init(sortedScalarValues values: [UInt32], tokenization: Tokenization) {
        scalarValues = values
        symbols = values.map { String(Unicode.Scalar($0)!) }
        self.tokenization = tokenization
    }

    /// Compares code points: `String ==` would equate canonically equivalent symbols (U+212B, U+00C5).
    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool {
        lhs.tokenization == rhs.tokenization && lhs.scalarValues == rhs.scalarValues
    }

    /// The id of `scalar` (in `bytes` mode: of the byte value `scalar.value`), or nil when absent.
    public func id(of scalar: Unicode.Scalar) -> Int32? {
        id(ofValue: scalar.value)
    }

    func id(ofValue value: UInt32) -> Int32? {
        var low = 0, high = scalarValues.count
        while low < high {
            let middle = (low + high) / 2
            if scalarValues[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < scalarValues.count && scalarValues[low] == value ? Int32(low) : nil
    }

    public func symbol(_ id: Int32) -> String {
        precondition(id >= 0 && Int(id) < count, "id \(id) outside vocabulary of \(count) symbols")
        return symbols[Int(id)]
    }

    /// Appends the output bytes of `id`: the scalar's UTF-8 (`scalars`) or the raw byte (`bytes`).
    public func appendUTF8(of id: Int32, to bytes: inout [UInt8]) {
        precondition(id >= 0 && Int(id) < count, "id \(id) outside vocabulary of \(count) symbols")
        let value = scalarValues[Int(id)]
        switch (tokenization, value) {
        case (.bytes, _), (.scalars, ..<0x80):
            bytes.append(UInt8(value))
        case (.scalars, ..<0x800):
            bytes.append(0xC0 | UInt8(value >> 6))
            bytes.append(0x80 | UInt8(value & 0x3F))
        case (.scalars, ..<0x1_0000):
            bytes.append(0xE0 | UInt8(value >> 12))
            bytes.append(0x80 | UInt8(value >> 6 & 0x3F))
            bytes.append(0x80 | UInt8(value & 0x3F))
        case (.scalars, _):
            bytes.append(0xF0 | UInt8(value >> 18))
            bytes.append(0x80 | UInt8(value >> 12 & 0x3F))
            bytes.append(0x80 | UInt8(value >> 6 & 0x3F))
            bytes.append(0x80 | UInt8(value & 0x3F))
        }
    }

    /// The output bytes of `ids` (see `appendUTF8(of:to:)`).
    public func bytes(of ids: some Sequence<Int32>) -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids { appendUTF8(of: id, to: &bytes) }
        return bytes
    }

    /// Encodes a short text (a prime, an evaluation file) with this vocabulary. Symbols not in the
    /// vocabulary are left out of `ids` and listed in `unknown`, in order, repeats included;
    /// in `bytes` mode the text's UTF-8 bytes are encoded and an unknown byte `v` is listed as U+00vv.
    public func encode(_ text: String, normalization: Normalization) -> (ids: [Int32], unknown: [Unicode.Scalar]) {
        let text = normalization == .nfc ? text.precomposedStringWithCanonicalMapping : text
        var ids: [Int32] = [], unknown: [Unicode.Scalar] = []
        switch tokenization {
        case .scalars:
            for scalar in text.unicodeScalars {
                if let id = id(ofValue: scalar.value) { ids.append(id) } else { unknown.append(scalar) }
            }
        case .bytes:
            for byte in text.utf8 {
                if let id = id(ofValue: UInt32(byte)) { ids.append(id) } else { unknown.append(Unicode.Scalar(byte)) }
            }
        }
        return (ids, unknown)
    }

    /// Encodes the bytes of a file (a prime, a text to score) as `encode(_:normalization:)` does;
    /// for a `scalars` vocabulary they must be UTF-8. A `bytes` vocabulary takes them as they are
    /// (normalised first when they are UTF-8 and the model was trained on NFC).
    /// - Throws: `DataError.invalidUTF8Text` naming `origin` and the offset of the first bad byte.
    public func encode(bytes: [UInt8], normalization: Normalization,
                       origin: String) throws(DataError) -> (ids: [Int32], unknown: [Unicode.Scalar]) {
        let invalidOffset = bytes.withUnsafeBufferPointer(StrictUTF8.firstInvalidOffset)
        if tokenization == .scalars, let invalidOffset { throw .invalidUTF8Text(path: origin, offset: invalidOffset) }
        guard tokenization == .scalars || (normalization == .nfc && invalidOffset == nil) else {
            var ids: [Int32] = [], unknown: [Unicode.Scalar] = []
            ids.reserveCapacity(bytes.count)
            for byte in bytes {
                if let id = id(ofValue: UInt32(byte)) { ids.append(id) } else { unknown.append(Unicode.Scalar(byte)) }
            }
            return (ids, unknown)
        }
        return encode(String(decoding: bytes, as: UTF8.self), normalization: normalization)
    }
}
