import Foundation

/// A request body as JSON, read without a fixed schema so that every wrong type can be named
/// (`param`) in the error, as OpenAI's errors do. Integers are kept exactly (a 64-bit seed
/// survives), other numbers as Double.
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(UInt64.self) { self = .unsigned(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .unsigned, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// The fields of a request body, read one by one with their expected types; every field read is
/// remembered, so the fields nobody read (unknown to this API) can be reported.
struct RequestFields {
    private let fields: [String: JSONValue]
    private(set) var read: Set<String> = []

    /// Parses a body that must be one JSON object.
    init(body: Data) throws(APIError) {
        guard !body.isEmpty else { throw APIError.invalidRequest("The request body is empty; send a JSON object.") }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: body)
        } catch {
            throw APIError.invalidRequest("The request body is not valid JSON.", code: "invalid_json")
        }
        guard case .object(let fields) = value else {
            throw APIError.invalidRequest("The request body must be a JSON object, not \(value.typeName).",
                                          code: "invalid_type")
        }
        self.fields = fields
    }

    /// Fields present that no one read.
    var unread: [String] { fields.keys.filter { !read.contains($0) }.sorted() }

    private mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    private func wrongType(_ key: String, _ value: JSONValue, expected: String) -> APIError {
        .invalidRequest("Invalid type for '\(key)': expected \(expected), got \(value.typeName).",
                        param: key, code: "invalid_type")
    }

    mutating func string(_ key: String) throws(APIError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let string) = value else { throw wrongType(key, value, expected: "a string") }
        return string
    }

    mutating func bool(_ key: String) throws(APIError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(key, value, expected: "a boolean") }
        return flag
    }

    mutating func double(_ key: String) throws(APIError) -> Double? {
        guard let value = value(key) else { return nil }
        switch value {
        case .integer(let number): return Double(number)
        case .unsigned(let number): return Double(number)
        case .number(let number): return number
        default: throw wrongType(key, value, expected: "a number")
        }
    }

    mutating func integer(_ key: String) throws(APIError) -> Int? {
        guard let value = value(key) else { return nil }
        switch value {
        case .integer(let number): return Int(number)
        case .number(let number) where number.rounded() == number && abs(number) < 0x1p53: return Int(number)
        default: throw wrongType(key, value, expected: "an integer")
        }
    }

    /// A seed: any 64-bit integer; a negative one is taken as its two's-complement bits.
    mutating func seed(_ key: String) throws(APIError) -> UInt64? {
        guard let value = value(key) else { return nil }
        switch value {
        case .integer(let number): return UInt64(bitPattern: number)
        case .unsigned(let number): return number
        default: throw wrongType(key, value, expected: "an integer")
        }
    }

    /// A string or an array of strings (OpenAI's `stop`).
    mutating func strings(_ key: String) throws(APIError) -> [String]? {
        guard let value = value(key) else { return nil }
        switch value {
        case .string(let string): return [string]
        case .array(let items):
            var strings: [String] = []
            for item in items {
                guard case .string(let string) = item else {
                    throw wrongType(key, value, expected: "a string or an array of strings")
                }
                strings.append(string)
            }
            return strings
        default: throw wrongType(key, value, expected: "a string or an array of strings")
        }
    }

    /// A nested object's fields.
    mutating func object(_ key: String) throws(APIError) -> [String: JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .object(let fields) = value else { throw wrongType(key, value, expected: "an object") }
        return fields
    }
}
