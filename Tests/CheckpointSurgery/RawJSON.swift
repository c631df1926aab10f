// Test support shared by the library tests and the structured fuzzer (scripts/fuzz/): JSON text
// kept exactly as written, so that hostile variants of it can be made.

/// JSON text kept as written: scalars as their exact bytes (a number beyond any integer type, a
/// string with invalid UTF-8 inside its quotes), objects as ordered member lists (a duplicate key
/// stays). Parsed from valid JSON; `bytes` writes it back compactly, changed or not.
public indirect enum RawJSON: Equatable, Sendable {
    /// A number, `true`, `false`, `null`, or a string with its quotes; or any bytes at all, which
    /// is how a mutation puts text no parser would produce (deep nesting, broken UTF-8).
    case scalar([UInt8])
    case array([RawJSON])
    case object([Member])

    public struct Member: Equatable, Sendable {
        /// The key as a JSON string, quotes and escapes included.
        public var key: [UInt8]
        public var value: RawJSON

        public init(key: [UInt8], value: RawJSON) {
            self.key = key
            self.value = value
        }

        public init(_ key: String, _ value: RawJSON) {
            self.init(key: RawJSON.quoted(key), value: value)
        }
    }

    /// Parses one JSON value filling all of `text` (whitespace aside); nil if it is not JSON or is
    /// nested deeper than `depthLimit`.
    public static func parse(_ text: some Collection<UInt8>, depthLimit: Int = 64) -> RawJSON? {
        var parser = Parser(bytes: Array(text), depthLimit: depthLimit)
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipWhitespace()
        return parser.position == parser.bytes.count ? value : nil
    }

    /// Compact JSON text.
    public var bytes: [UInt8] {
        var output: [UInt8] = []
        write(to: &output)
        return output
    }

    private func write(to output: inout [UInt8]) {
        switch self {
        case .scalar(let bytes):
            output += bytes
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                output += member.key
                output.append(UInt8(ascii: ":"))
                member.value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    // MARK: - Scalars

    public static func literal(_ text: String) -> RawJSON { .scalar(Array(text.utf8)) }
    public static func string(_ text: String) -> RawJSON { .scalar(quoted(text)) }
    public static func integer(_ value: Int) -> RawJSON { literal(String(value)) }

    /// `text` as a JSON string: quotes, `\"`, `\\` and control characters escaped.
    public static func quoted(_ text: String) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): output += Array("\\\\".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    /// The text of a string scalar, escapes resolved; nil for anything else or invalid text.
    public var stringValue: String? {
        guard case .scalar(let bytes) = self, bytes.first == UInt8(ascii: "\""), bytes.count >= 2,
              bytes.last == UInt8(ascii: "\"") else { return nil }
        var scalars = String.UnicodeScalarView()
        var index = 1
        let end = bytes.count - 1
        var raw: [UInt8] = []
        func flush() -> Bool {
            guard !raw.isEmpty else { return true }
            guard let text = String(validating: raw, as: UTF8.self) else { return false }
            scalars.append(contentsOf: text.unicodeScalars)
            raw.removeAll()
            return true
        }
        while index < end {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else { raw.append(byte); index += 1; continue }
            guard flush(), index + 1 < end else { return nil }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "b"): scalars.append("\u{8}")
            case UInt8(ascii: "f"): scalars.append("\u{C}")
            case UInt8(ascii: "u"):
                guard index + 4 <= end, let high = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16)
                else { return nil }
                index += 4
                var value = high
                if (0xD800..<0xDC00).contains(high), index + 6 <= end, bytes[index] == UInt8(ascii: "\\"),
                   bytes[index + 1] == UInt8(ascii: "u"),
                   let low = UInt32(String(decoding: bytes[(index + 2)..<(index + 6)], as: UTF8.self), radix: 16),
                   (0xDC00..<0xE000).contains(low) {
                    value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                guard let scalar = Unicode.Scalar(value) else { return nil }
                scalars.append(scalar)
            default: scalars.append(Unicode.Scalar(escape))
            }
        }
        guard flush() else { return nil }
        return String(scalars)
    }

    /// The integer a number scalar spells, when it fits `Int`.
    public var intValue: Int? {
        guard case .scalar(let bytes) = self else { return nil }
        return Int(String(decoding: bytes, as: UTF8.self))
    }

    // MARK: - Members

    /// The value of the first member named `key` of an object.
    public subscript(key: String) -> RawJSON? {
        get {
            guard case .object(let members) = self else { return nil }
            let quotedKey = RawJSON.quoted(key)
            return members.first { $0.key == quotedKey }?.value
        }
        set {
            guard case .object(var members) = self else { return }
            let quotedKey = RawJSON.quoted(key)
            if let index = members.firstIndex(where: { $0.key == quotedKey }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append(Member(key: quotedKey, value: newValue))
            }
            self = .object(members)
        }
    }

    // MARK: - Parsing

    private struct Parser {
        let bytes: [UInt8]
        let depthLimit: Int
        var position = 0

        init(bytes: [UInt8], depthLimit: Int) {
            self.bytes = bytes
            self.depthLimit = depthLimit
        }

        static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

        /// Where a number or literal ends.
        static func isDelimiter(_ byte: UInt8) -> Bool {
            isWhitespace(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
                || byte == UInt8(ascii: ":")
        }

        mutating func skipWhitespace() {
            while position < bytes.count, Self.isWhitespace(bytes[position]) { position += 1 }
        }

        mutating func value(depth: Int) -> RawJSON? {
            guard depth <= depthLimit else { return nil }
            skipWhitespace()
            guard position < bytes.count else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var members: [Member] = []
                skipWhitespace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
                while true {
                    skipWhitespace()
                    guard let key = string() else { return nil }
                    skipWhitespace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
                    position += 1
                    guard let element = value(depth: depth + 1) else { return nil }
                    members.append(Member(key: key, value: element))
                    skipWhitespace()
                    guard position < bytes.count else { return nil }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    guard bytes[position] == UInt8(ascii: "}") else { return nil }
                    position += 1
                    return .object(members)
                }
            case UInt8(ascii: "["):
                position += 1
                var elements: [RawJSON] = []
                skipWhitespace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
                while true {
                    guard let element = value(depth: depth + 1) else { return nil }
                    elements.append(element)
                    skipWhitespace()
                    guard position < bytes.count else { return nil }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    guard bytes[position] == UInt8(ascii: "]") else { return nil }
                    position += 1
                    return .array(elements)
                }
            case UInt8(ascii: "\""):
                return string().map(RawJSON.scalar)
            default:
                let start = position
                while position < bytes.count, !Self.isDelimiter(bytes[position]) { position += 1 }
                let token = bytes[start..<position]
                let text = String(decoding: token, as: UTF8.self)
                guard !token.isEmpty, ["true", "false", "null"].contains(text) || Double(text) != nil else { return nil }
                return .scalar(Array(token))
            }
        }

        /// A string token with its quotes, or nil.
        mutating func string() -> [UInt8]? {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
            let start = position
            position += 1
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\\"): position += 2
                case UInt8(ascii: "\""):
                    position += 1
                    return Array(bytes[start..<position])
                default: position += 1
                }
            }
            return nil
        }
    }
}
