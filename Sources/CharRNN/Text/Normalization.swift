/// Unicode normalisation applied to text before it is tokenised.
public enum Normalization: String, Sendable, CaseIterable {
    /// Keep the text as written.
    case none
    /// Canonical composition (NFC): "e" + U+0301 becomes "é", so each accented letter is one symbol.
    case nfc
}

extension Normalization {
    /// The last position of `bytes` between two ASCII bytes, or nil. NFC never acts across it: no
    /// ASCII character composes with another, and the one after it is a starter, which blocks any
    /// composition or reordering reaching over it. Text cut there normalises piece by piece exactly
    /// as it does whole.
    static func lastSafeCut(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = bytes.count - 1
        while i > 0 {
            if bytes[i] < 0x80 && bytes[i - 1] < 0x80 { return i }
            i -= 1
        }
        return nil
    }
}
