import NIOCore

/// The `data:` events of one streamed completion whose chunks carry text only (no logprobs),
/// written straight into bytes: JSONSerialization took most of the server's time at many streams
/// of a small model (it bridges every dictionary to Foundation objects, once per character).
///
///     data: {"id":…,"object":"text_completion","created":…,"model":…,"choices":[{"text":…,"index":i,"logprobs":null,"finish_reason":…}]}
struct CompletionChunks {
    /// Everything before the text's value.
    private let prefix: [UInt8]

    init(header: APIResponder.CompletionHeader) {
        var bytes = Array(#"data: {"id":"#.utf8)
        Self.appendString(header.id, to: &bytes)
        bytes += Array(#","object":"text_completion","created":"#.utf8) + Array(String(header.created).utf8)
        bytes += Array(#","model":"#.utf8)
        Self.appendString(header.model, to: &bytes)
        bytes += Array(#","choices":[{"text":"#.utf8)
        prefix = bytes
    }

    /// The event for `text` of choice `index`, ending the choice with `finishReason` when given.
    func event(text: String, index: Int, finishReason: String? = nil) -> ByteBuffer {
        var bytes = prefix
        bytes.reserveCapacity(prefix.count + text.utf8.count + 80)
        Self.appendString(text, to: &bytes)
        bytes += Array(#","index":"#.utf8) + Array(String(index).utf8) + Array(#","logprobs":null,"finish_reason":"#.utf8)
        if let finishReason { Self.appendString(finishReason, to: &bytes) } else { bytes += Array("null".utf8) }
        bytes += Array("}]}\n\n".utf8)
        return ByteBuffer(bytes: bytes)
    }

    /// `value` as a JSON string: quotes, backslashes and control characters escaped (RFC 8259 §7);
    /// everything else, slashes and non-ASCII included, as its UTF-8 bytes.
    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20: bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
