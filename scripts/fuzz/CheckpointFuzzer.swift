// libFuzzer entry point for the checkpoint reader; built and run by scripts/fuzz-checkpoint.sh.
// The first input byte chooses the layer under test: even, the safetensors container and the
// checkpoint checks on raw bytes (past zstd's checksum, which would reject almost every mutation);
// odd, the whole reader from a zstd frame. Any outcome but a trap or an out-of-bounds access is fine.

@_cdecl("LLVMFuzzerTestOneInput")
public func checkpointFuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] % 2 == 0 {
        _ = try? Checkpoint.decode(bytes, path: "fuzz")
    } else if let content = try? ZstdFrame.decompress(bytes, path: "fuzz", limit: 1 << 24) {
        _ = try? Checkpoint.decode(content, path: "fuzz")
    }
    return 0
}
