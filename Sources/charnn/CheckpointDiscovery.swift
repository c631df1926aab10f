import CharRNN
import Foundation

/// The checkpoint a command reads: the given path, else `./checkpoints/best`, else `latest`.
func resolveCheckpoint(_ given: String?) throws -> String {
    if let given { return given }
    let candidates = ["checkpoints/best.safetensors.zst", "checkpoints/latest.safetensors.zst"]
    if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
    throw CLIError("no checkpoint found (looked at ./\(candidates[0]) and ./\(candidates[1])); "
                   + "train one with `charnn train corpus.txt`, or pass --checkpoint PATH")
}

/// The language model a command generates or scores with (see `resolveCheckpoint`).
func loadLanguageModel(_ given: String?) throws -> Checkpoint {
    let path = try resolveCheckpoint(given)
    let loaded = try Checkpoint.read(from: path)
    if let refusal = TextGenerator.refusal(of: loaded, path: path) { throw CLIError(refusal) }
    return loaded
}

/// A one-line error of the command line itself.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Standard output written as bytes, flushed per line (or per write on a terminal). A closed pipe
/// (`charnn sample | head`) ends output quietly: `write` reports false from then on.
final class OutputStream {
    private let interactive = isatty(STDOUT_FILENO) == 1
    private var buffer: [UInt8] = []
    private(set) var closed = false

    init() { buffer.reserveCapacity(4096) }

    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        guard !closed else { return false }
        buffer.append(contentsOf: bytes)
        if interactive || bytes.contains(10) || buffer.count >= 4096 { flush() }
        return !closed
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    func flush() {
        var offset = 0
        while offset < buffer.count, !closed {
            let written = buffer.withUnsafeBytes { raw in
                Foundation.write(STDOUT_FILENO, raw.baseAddress! + offset, raw.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR {
                continue
            } else {
                closed = true
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
