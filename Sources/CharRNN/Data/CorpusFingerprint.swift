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
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV offset basis
        bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3  // FNV prime
            }
        }
        let digits = String(hash, radix: 16)
        self.init(byteCount: bytes.count,
                  hash: "fnv1a64:" + String(repeating: "0", count: 16 - digits.count) + digits)
    }
}
