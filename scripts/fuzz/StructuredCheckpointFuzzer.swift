// libFuzzer entry points of the structured checkpoint fuzzer; built with the library and
// Tests/CheckpointSurgery/{RawJSON,CheckpointMutator}.swift, and run, by
// `scripts/fuzz-checkpoint.sh --structured`.
//
// An input is a whole checkpoint file, a zstd frame, read as `Checkpoint.read` reads one. The
// custom mutator decompresses it, takes the safetensors content apart (`CheckpointMutator`:
// shapes, dtypes, offsets, names, nesting, UTF-8, the metadata's JSON, the tensor bytes, length
// and padding) and applies 1 to 3 structural mutations, then frames the result again with its
// checksum: nearly every input reaches the header parser and the checks behind it. One time in
// eight, or when earlier mutations left content that no longer parses as JSON, libFuzzer's own
// byte mutations change the decompressed content, which is then framed again.

@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// The largest decompressed content the harness reads (the reader's own bound is 2 GiB).
private let contentLimit = 1 << 26

@_cdecl("LLVMFuzzerTestOneInput")
public func structuredCheckpointFuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let content = try? ZstdFrame.decompress(bytes, path: "fuzz", limit: contentLimit) else { return 0 }
    if let checkpoint = try? Checkpoint.decode(content, path: "fuzz") {
        // What every command does next; its memory follows the shapes checked against the file.
        _ = checkpoint.makeModel()
    }
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func structuredCheckpointFuzzMutate(
    _ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32
) -> Int {
    var random = SplitMix64(seed: UInt64(seed))
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let content = try? ZstdFrame.decompress(bytes, path: "fuzz", limit: contentLimit) else {
        return LLVMFuzzerMutate(data, size, maxSize)
    }
    var output: [UInt8] = []
    // Mutations that repeat text compress to nothing, so after a few generations a few kilobytes
    // hold megabytes of header; taking those apart again cost the mutator (not the reader) up to
    // 2 GB of resident memory under ASan. Real checkpoints and one round of mutations stay far
    // below 512 kB.
    if content.count > 1 << 19 { return LLVMFuzzerMutate(data, size, maxSize) }
    if random.next() % 8 != 0, var mutator = CheckpointMutator(safetensors: content) {
        for _ in 0..<(1 + Int(random.next() % 3)) { mutator.mutate(using: &random) }
        output = mutator.framed()
    } else {
        var raw = content + [UInt8](repeating: 0, count: 64)  // room to grow
        let length = raw.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, content.count, $0.count) }
        output = (try? ZstdFrame.compress(Array(raw[..<length]), level: 1)) ?? []
    }
    guard !output.isEmpty, output.count <= maxSize else { return LLVMFuzzerMutate(data, size, maxSize) }
    output.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: $0.count) }
    return output.count
}
