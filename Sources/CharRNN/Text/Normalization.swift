/// Unicode normalisation applied to text before it is tokenised.
public enum Normalization: String, Sendable, CaseIterable {
    /// Keep the text as written.
    case none
    /// Canonical composition (NFC): "e" + U+0301 becomes "é", so each accented letter is one symbol.
    case nfc
}
