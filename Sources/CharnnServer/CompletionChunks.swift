import CharRNN
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

    /// `value` as a JSON string literal (`JSONLines.quoted`: quotes, backslashes and control
    /// characters escaped, the rest as UTF-8).
    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes += Array(JSONLines.quoted(value).utf8)
    }
}
