/// Identifies the exact bytes a model was trained on: their count and FNV-1a 64-bit hash,
/// computed on the raw file before any normalisation.
public struct CorpusFingerprint: Equatable, Sendable, Codable {
    public let byteCount: Int
    /// `"fnv1a64:"` followed by 16 lowercase hex digits.
    public let hash: String

    public init(byteCount: Int, hash: String) {
        self.byteCount = byteCount
        self.hash = hash
    }

    public init(of bytes: [UInt8]) {
        let hash = bytes.withUnsafeBufferPointer(FNV1a.hash)
        let digits = String(hash, radix: 16)
        self.init(byteCount: bytes.count,
                  hash: "fnv1a64:" + String(repeating: "0", count: 16 - digits.count) + digits)
    }
}
