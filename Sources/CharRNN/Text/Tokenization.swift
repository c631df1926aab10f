/// What one token of a corpus is.
public enum Tokenization: String, Sendable, CaseIterable {
    /// One Unicode scalar of UTF-8 text (not a grapheme cluster: "é" written as `e` + U+0301 is two tokens).
    case scalars
    /// One raw byte; any file is accepted. Byte `v` is stored in the vocabulary as the scalar U+00vv.
    case bytes
}
