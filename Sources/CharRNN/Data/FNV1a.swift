/// The 64-bit FNV-1a hash: a corpus fingerprint over bytes, a weight checksum over float bits.
///
///     hash ← offset basis;  for each value: hash ← (hash ⊕ value) · FNV prime   (mod 2⁶⁴)
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325  // offset basis

    @inline(__always)
    mutating func add(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01b3  // FNV prime
    }

    /// Continues the hash over `bytes`: a text hashed chunk by chunk hashes as it does whole.
    mutating func add(_ bytes: UnsafeBufferPointer<UInt8>) {
        var hash = self  // a local copy stays in a register through the loop
        for byte in bytes { hash.add(UInt64(byte)) }
        self = hash
    }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash = FNV1a()
        hash.add(bytes)
        return hash.value
    }

    /// Over the bit patterns of `values`: equal exactly when the floats are bit-for-bit equal (as a rule).
    static func hash(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
        var hash = FNV1a()
        for value in values { hash.add(UInt64(value.bitPattern)) }
        return hash.value
    }
}
