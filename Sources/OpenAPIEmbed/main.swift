// OpenAPIEmbed DOCUMENT OUTPUT: the build-time half of "the contract is written once". Reads the
// OpenAPI document (docs/openapi.json, the only hand-edited statement of the API) and writes a
// Swift file for CharnnServer with
//   - `OpenAPIDocument.json`: the document's bytes, served as they are at GET /openapi.json;
//   - one constant per number in `stated` below: the defaults and maxima the request checks use,
//     read from where the document states them.
// A document that is not a JSON object, or lacks one of those numbers, fails the build naming it.
// Run by the EmbedOpenAPI build-tool plugin; Foundation only, so the toolchain alone builds it.
import Foundation

/// A number the document states and the server's checks use: its Swift name and type, and where
/// the document says it (a JSON pointer, RFC 6901: `~1` is `/`).
struct StatedNumber {
    var name: String
    var type: NumberType
    var pointer: String
    var summary: String

    enum NumberType: String { case int = "Int", double = "Double" }
}

let completionRequest = "/components/schemas/CompletionRequest/properties"
let stated = [
    StatedNumber(name: "defaultMaxTokens", type: .int, pointer: "\(completionRequest)/max_tokens/default",
                 summary: "Characters generated when a completion request names no `max_tokens`."),
    StatedNumber(name: "defaultTemperature", type: .double, pointer: "\(completionRequest)/temperature/default",
                 summary: "`temperature` when a completion request names none."),
    StatedNumber(name: "defaultTopP", type: .double, pointer: "\(completionRequest)/top_p/default",
                 summary: "`top_p` when a completion request names none (1 keeps all)."),
    StatedNumber(name: "defaultTopK", type: .int, pointer: "\(completionRequest)/top_k/default",
                 summary: "`top_k` when a completion request names none (0 keeps all)."),
    StatedNumber(name: "defaultChoices", type: .int, pointer: "\(completionRequest)/n/default",
                 summary: "`n`, choices per completion, when a request names none."),
    StatedNumber(name: "maxLogprobs", type: .int, pointer: "\(completionRequest)/logprobs/maximum",
                 summary: "The largest `logprobs`: alternatives listed per character."),
    StatedNumber(name: "maxStops", type: .int, pointer: "\(completionRequest)/stop/oneOf/1/maxItems",
                 summary: "The most `stop` texts a completion request may give."),
    StatedNumber(name: "defaultActivationLayer", type: .int,
                 pointer: "/paths/~1v1~1activations/post/requestBody/content/application~1json/schema/properties/layer/default",
                 summary: "The layer traced when an activations request names none."),
]

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

/// A JSON value, decoded exactly: `true` is not 1, and 1 is not 1.0's text.
enum JSON: Decodable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([JSON]), object([String: JSON])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSON].self)) }
    }

    /// The value at an RFC 6901 pointer, or nil.
    func value(at pointer: String) -> JSON? {
        var node = self
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .object(let members) where members[key] != nil: node = members[key]!
            case .array(let items) where Int(key).map(items.indices.contains) == true: node = items[Int(key)!]
            default: return nil
            }
        }
        return node
    }

    /// The Swift literal of this number as `type`; nil if it is not one (an integer is a Double).
    func literal(as type: StatedNumber.NumberType) -> String? {
        switch (self, type) {
        case (.int(let value), .int): String(value)
        case (.int(let value), .double): String(Double(value))
        case (.double(let value), .double): String(value)
        default: nil
        }
    }
}

/// `text` as one Swift string literal: quotes, backslashes and control characters escaped.
func swiftLiteral(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            out += "\\u{" + String(scalar.value, radix: 16) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else { fail("usage: OpenAPIEmbed DOCUMENT OUTPUT") }
let (documentPath, outputPath) = (arguments[1], arguments[2])
guard let bytes = FileManager.default.contents(atPath: documentPath) else { fail("\(documentPath): cannot read") }
guard let text = String(data: bytes, encoding: .utf8) else { fail("\(documentPath): not UTF-8") }
let document: JSON
do {
    document = try JSONDecoder().decode(JSON.self, from: bytes)
} catch {
    fail("\(documentPath): not JSON: \(error)")
}
guard case .object = document else { fail("\(documentPath): not a JSON object") }

var swift = """
    // Generated at build time by OpenAPIEmbed (the EmbedOpenAPI plugin) from docs/openapi.json: edit
    // that file, not this one.

    extension OpenAPIDocument {
        /// docs/openapi.json, byte for byte.
        static let json = \(swiftLiteral(text))

    """
for number in stated {
    guard let found = document.value(at: number.pointer) else {
        fail("\(documentPath): no \(number.pointer) (CharnnServer's OpenAPIDocument.\(number.name) is read from there)")
    }
    guard let literal = found.literal(as: number.type) else {
        fail("\(documentPath): \(number.pointer) is \(found), not \(number.type == .int ? "an integer" : "a number")")
    }
    swift += """

            /// \(number.summary)
            /// `#\(number.pointer)` in docs/openapi.json.
            static let \(number.name): \(number.type.rawValue) = \(literal)

        """
}
swift += "}\n"

let output = Data(swift.utf8)
if FileManager.default.contents(atPath: outputPath) != output {
    do {
        try output.write(to: URL(fileURLWithPath: outputPath), options: .atomic)
    } catch {
        fail("\(outputPath): \(error)")
    }
}
