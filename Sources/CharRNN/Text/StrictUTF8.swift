/// A strict UTF-8 decoder for the corpus hot loops. It accepts exactly the well-formed sequences
/// of the Unicode Standard, Table 3-7, and so rejects overlong forms, surrogates (U+D800…U+DFFF),
/// values above U+10FFFF, stray continuation bytes and truncated sequences:
///
///     U+0000…U+007F     00…7F
///     U+0080…U+07FF     C2…DF  80…BF
///     U+0800…U+0FFF     E0     A0…BF  80…BF
///     U+1000…U+FFFF     E1…EC, EE…EF  80…BF  80…BF;  ED  80…9F  80…BF
///     U+10000…U+10FFFF  F0 90…BF, F1…F3 80…BF, F4 80…8F;  then  80…BF  80…BF
enum StrictUTF8 {
    /// Decodes the sequence whose lead byte `bytes[i]` is ≥ 0x80.
    /// - Returns: the scalar value and the sequence length in bytes; length 0 when ill-formed.
    @inline(__always)
    static func decodeMultiByte(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
        let lead = bytes[i]
        let available = bytes.count - i
        var secondLow: UInt8 = 0x80, secondHigh: UInt8 = 0xBF
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondLow = 0xA0
        case 0xED: length = 3; secondHigh = 0x9F
        case 0xE1...0xEF: length = 3
        case 0xF0: length = 4; secondLow = 0x90
        case 0xF4: length = 4; secondHigh = 0x8F
        case 0xF1...0xF3: length = 4
        default: return (0, 0)  // continuation byte, C0/C1 (overlong) or F5…FF
        }
        guard available >= length else { return (0, 0) }
        let second = bytes[i + 1]
        guard second >= secondLow && second <= secondHigh else { return (0, 0) }
        var value = UInt32(lead & (0x7F >> length)) << 6 | UInt32(second & 0x3F)
        for k in 2..<length {
            let next = bytes[i + k]
            guard next & 0xC0 == 0x80 else { return (0, 0) }
            value = value << 6 | UInt32(next & 0x3F)
        }
        return (value, length)
    }

    /// Byte offset of the first ill-formed sequence, or nil when `bytes` is valid UTF-8.
    static func firstInvalidOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        while i < bytes.count {
            if bytes[i] < 0x80 { i += 1; continue }
            let length = decodeMultiByte(bytes, at: i).length
            if length == 0 { return i }
            i += length
        }
        return nil
    }

    /// How many leading bytes of `bytes` end on a sequence boundary: all of them, unless the last
    /// one to three bytes begin a multi-byte sequence that the next chunk of the text may complete.
    /// Those are left for the next chunk; at the end of the text they are an ill-formed sequence.
    static func completePrefixLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var start = bytes.count
        while start > 0, bytes.count - start < 3, bytes[start - 1] & 0xC0 == 0x80 { start -= 1 }
        guard start > 0 else { return bytes.count }
        let lead = bytes[start - 1]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        return bytes.count - (start - 1) < length ? start - 1 : bytes.count
    }

    /// Whether every byte is below 0x80; checks eight bytes at a time.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = UnsafeRawBufferPointer(bytes)
        let wordCount = raw.count / 8
        var highBits: UInt64 = 0
        for w in 0..<wordCount {
            highBits |= raw.loadUnaligned(fromByteOffset: w * 8, as: UInt64.self)
        }
        for i in (wordCount * 8)..<raw.count {
            highBits |= UInt64(raw[i])
        }
        return highBits & 0x8080_8080_8080_8080 == 0
    }
}
