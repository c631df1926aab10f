import Foundation

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

    @discardableResult
    func write(_ text: String) -> Bool { write(Array(text.utf8)) }

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
