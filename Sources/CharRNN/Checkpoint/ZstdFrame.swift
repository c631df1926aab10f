import CZstd

/// One zstd frame holding a whole file: content checksum flag on and the content size in the frame
/// header, so a reader can bound the allocation before decompressing and detect any damage.
public enum ZstdFrame {
    /// The little-endian magic number every zstd frame starts with.
    public static let magic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    /// Compresses `bytes` into exactly one frame with the content size and an XXH64 content checksum.
    ///
    /// - Parameters:
    ///   - level: zstd compression level; out-of-range values are clamped by zstd.
    ///   - path: the file the frame is meant for; only used to name it in errors.
    /// - Throws: `.writeFailed` if zstd fails (allocation, input beyond zstd's maximum size).
    public static func compress(
        _ bytes: UnsafeRawBufferPointer, level: Int32 = 3, path: String = "(zstd frame)"
    ) throws(CheckpointError) -> [UInt8] {
        func failure(_ code: Int) -> CheckpointError {
            .writeFailed(path: path, reason: "zstd compression failed: \(errorName(code))")
        }
        guard let context = ZSTD_createCCtx() else {
            throw .writeFailed(path: path, reason: "zstd could not allocate a compression context")
        }
        defer { ZSTD_freeCCtx(context) }
        for (parameter, value) in [(ZSTD_c_compressionLevel, level), (ZSTD_c_checksumFlag, 1),
                                   (ZSTD_c_contentSizeFlag, 1)] {
            let code = ZSTD_CCtx_setParameter(context, parameter, value)
            if ZSTD_isError(code) != 0 { throw failure(code) }
        }
        // ZSTD_compress2 pledges the whole input as the source size, so the size lands in the header.
        let capacity = ZSTD_compressBound(bytes.count)
        if ZSTD_isError(capacity) != 0 { throw failure(capacity) }
        var code = 0
        let frame = [UInt8](unsafeUninitializedCapacity: max(capacity, 1)) { buffer, initializedCount in
            code = ZSTD_compress2(context, buffer.baseAddress, buffer.count, bytes.baseAddress, bytes.count)
            initializedCount = ZSTD_isError(code) != 0 ? 0 : code
        }
        if ZSTD_isError(code) != 0 { throw failure(code) }
        return frame
    }

    /// `compress(_:level:path:)` for an array.
    public static func compress(
        _ bytes: [UInt8], level: Int32 = 3, path: String = "(zstd frame)"
    ) throws(CheckpointError) -> [UInt8] {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(CheckpointError) in try compress(raw, level: level, path: path) }
        }
        return try result.get()
    }

    /// Decompresses a file that must be exactly one zstd frame with a declared content size of at
    /// most `limit` bytes. The declared size is checked before anything is allocated, so a
    /// decompression bomb costs nothing; zstd verifies the content checksum. Never traps on any input.
    ///
    /// - Parameters:
    ///   - path: the file `bytes` came from; only used to name it in errors.
    ///   - limit: the largest content size accepted, in bytes (the caller's bound on a checkpoint).
    /// - Throws: `.empty`, `.notZstd`, `.corruptFrame` (truncated, damaged, checksum mismatch,
    ///   trailing bytes, no declared size), `.tooLarge`.
    public static func decompress(_ bytes: [UInt8], path: String, limit: Int) throws(CheckpointError) -> [UInt8] {
        guard !bytes.isEmpty else { throw .empty(path: path) }
        guard bytes.starts(with: magic) else {
            if magic.starts(with: bytes) {
                throw .corruptFrame(path: path, reason: "truncated after \(bytes.count) bytes")
            }
            throw .notZstd(path: path)
        }
        let (frameSize, declaredSize) = bytes.withUnsafeBytes { source in
            (ZSTD_findFrameCompressedSize(source.baseAddress, source.count),
             ZSTD_getFrameContentSize(source.baseAddress, source.count))
        }
        if ZSTD_isError(frameSize) != 0 {
            throw .corruptFrame(path: path, reason: "\(errorName(frameSize)); the frame is truncated or damaged")
        }
        guard frameSize == bytes.count else {
            throw .corruptFrame(path: path, reason: "\(bytes.count - frameSize) trailing bytes after the frame")
        }
        if declaredSize == contentSizeUnknown {
            throw .corruptFrame(path: path, reason: "the frame does not declare its content size")
        }
        if declaredSize == contentSizeError {
            throw .corruptFrame(path: path, reason: "the frame header is invalid")
        }
        guard limit >= 0, declaredSize <= UInt64(limit) else {
            throw .tooLarge(path: path, declared: declaredSize, limit: limit)
        }
        let contentSize = Int(declaredSize)
        var code = 0
        let content = bytes.withUnsafeBytes { source in
            [UInt8](unsafeUninitializedCapacity: max(contentSize, 1)) { buffer, initializedCount in
                code = ZSTD_decompress(buffer.baseAddress, contentSize, source.baseAddress, source.count)
                initializedCount = ZSTD_isError(code) != 0 ? 0 : min(code, contentSize)
            }
        }
        if ZSTD_isError(code) != 0 {
            throw .corruptFrame(path: path, reason: errorName(code))
        }
        guard code == contentSize else {
            throw .corruptFrame(path: path, reason: "decompressed \(code) bytes, the header declares \(contentSize)")
        }
        return content
    }

    // MARK: - Implementation details

    /// `ZSTD_CONTENTSIZE_UNKNOWN` and `ZSTD_CONTENTSIZE_ERROR` (C macros `0ULL - 1` and `0ULL - 2`).
    private static let contentSizeUnknown = UInt64.max
    private static let contentSizeError = UInt64.max - 1

    private static func errorName(_ code: Int) -> String {
        String(cString: ZSTD_getErrorName(code))
    }
}
