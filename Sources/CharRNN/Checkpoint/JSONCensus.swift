#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many values a JSON text holds and how deeply it nests, counted in one pass that allocates
/// nothing, so that a reader can refuse text that would expand into millions of objects before a
/// parser builds them: `[1,1,1,…]` costs a parser tens of bytes per value, a compressed file about
/// nothing. Every number, string (object keys included), literal, array and object counts once;
/// string contents, escapes included, are skipped. The text is not validated: counting stops early
/// once `limit` is passed, and what follows is the parser's business.
struct JSONCensus {
    /// Values counted, up to `limit + 1`.
    private(set) var values = 0
    /// The deepest nesting of arrays and objects seen (0: a scalar).
    private(set) var depth = 0
    /// Values directly inside the outermost array or object (an object's keys and values both).
    private(set) var topLevelValues = 0

    init(_ text: some Collection<UInt8>, limit: Int) {
        let counted: Void? = text.withContiguousStorageIfAvailable { count($0, limit: limit) }
        if counted == nil { Array(text).withUnsafeBufferPointer { count($0, limit: limit) } }
    }

    /// Whether the text holds more than the limit it was counted with.
    func exceeds(_ limit: Int) -> Bool { values > limit }

    private mutating func count(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int) {
        guard let base = bytes.baseAddress else { return }
        var level = 0, index = 0
        // A number or literal starts a value only after one of `[{,:` (or at the start).
        var expectingValue = true
        while index < bytes.count {
            let byte = base[index]
            switch byte {
            case UInt8(ascii: "\""):
                found(at: level)
                expectingValue = false
                index = Self.endOfString(base, from: index + 1, count: bytes.count)
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                found(at: level)
                level += 1
                depth = max(depth, level)
                expectingValue = true
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                level -= 1
                expectingValue = false
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                expectingValue = true
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            default:
                if expectingValue {
                    found(at: level)
                    expectingValue = false
                }
            }
            if values > limit { return }
            index += 1
        }
    }

    /// The index after the quote that closes the string whose contents start at `start`: found
    /// with `memchr`, a quote counting when an even number of backslashes precede it.
    private static func endOfString(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) -> Int {
        var index = start
        while index < count {
            guard let quote = memchr(base + index, Int32(UInt8(ascii: "\"")), count - index) else { return count }
            let at = UnsafeRawPointer(quote).assumingMemoryBound(to: UInt8.self) - base
            var backslashes = 0
            while at - backslashes - 1 >= start, base[at - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
            if backslashes % 2 == 0 { return at + 1 }
            index = at + 1
        }
        return count
    }

    private mutating func found(at level: Int) {
        values += 1
        if level == 1 { topLevelValues += 1 }
    }
}
