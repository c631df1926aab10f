import Foundation

/// The safetensors container, Float32 only. A file is
///
///     [8 bytes]  N, UInt64 little-endian
///     [N bytes]  UTF-8 JSON object, padded with spaces so that N is a multiple of 8:
///                {"__metadata__": {"key": "string", ...},
///                 "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
///     [rest]     tensor data, Float32 little-endian; `data_offsets` are relative to its start and
///                tile it contiguously from 0 in data order, without gaps or overlap
///
/// This is the layout Python's `safetensors` reads and writes. Model knowledge lives elsewhere.
public enum Safetensors {
    /// The only dtype written and read.
    public static let float32 = "F32"
    /// The reserved header key holding string-to-string metadata.
    public static let metadataKey = "__metadata__"
    /// Largest header accepted, as in Python's `safetensors` (100 MB).
    public static let maximumHeaderLength = 100_000_000
    /// Most JSON values (numbers, strings and keys, arrays, objects) a header may hold, counted
    /// before it is parsed: a header lists tensors, about ten values each, so this admits 25,000
    /// tensors, while `[1,1,1,…]` up to `maximumHeaderLength` (a few kilobytes compressed) would
    /// cost the JSON parser gigabytes and a minute: measured, 20 million dimensions in one shape
    /// took 22 s and 1.2 GB to refuse.
    public static let maximumHeaderValues = 1 << 18
    /// Deepest nesting accepted, counted with the values: a header nests 3 deep (an object of
    /// tensor objects holding arrays); deeper text is refused before the parser recurses into it.
    public static let maximumHeaderDepth = 16

    /// Encodes `tensors` (data in the order given, raw Float32 bits little-endian) and `metadata`.
    /// The header lists `__metadata__` first (keys sorted by UTF-8 bytes), then the tensors in the
    /// order given, so equal inputs give equal bytes.
    ///
    /// - Precondition: names are unique and not `__metadata__`; each shape's product is `values.count`.
    public static func encode(
        tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)],
        metadata: [String: String]
    ) -> [UInt8] {
        var header = "{" + JSONString.quoted(metadataKey) + ":{"
        let metadataKeys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        header += metadataKeys.map { JSONString.quoted($0) + ":" + JSONString.quoted(metadata[$0]!) }.joined(separator: ",")
        header += "}"
        var names = Set<String>()
        var dataLength = 0
        for tensor in tensors {
            precondition(tensor.name != metadataKey, "'\(metadataKey)' is reserved, not a tensor name")
            precondition(names.insert(tensor.name).inserted, "duplicate tensor name '\(tensor.name)'")
            let count = tensor.shape.reduce(1, *)
            precondition(tensor.shape.allSatisfy { $0 >= 0 } && count == tensor.values.count,
                         "tensor '\(tensor.name)': shape \(tensor.shape) does not hold \(tensor.values.count) values")
            let begin = dataLength
            dataLength += count * MemoryLayout<UInt32>.size
            header += "," + JSONString.quoted(tensor.name) + ":{\"dtype\":\"\(float32)\",\"shape\":["
                + tensor.shape.map(String.init).joined(separator: ",")
                + "],\"data_offsets\":[\(begin),\(dataLength)]}"
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        headerBytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8))

        var file = [UInt8](repeating: 0, count: 8 + headerBytes.count + dataLength)
        file.withUnsafeMutableBytes { output in
            output.storeBytes(of: UInt64(headerBytes.count).littleEndian, as: UInt64.self)
            headerBytes.withUnsafeBytes { output.baseAddress!.advanced(by: 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            var offset = 8 + headerBytes.count
            for tensor in tensors {
                for value in tensor.values {
                    output.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: offset, as: UInt32.self)
                    offset += MemoryLayout<UInt32>.size
                }
            }
        }
        return file
    }
}

/// One tensor of a `SafetensorsFile`.
public struct SafetensorsEntry: Equatable, Sendable {
    public let name: String
    /// Always `"F32"` once the file has been validated.
    public let dtype: String
    public let shape: [Int]
    /// The tensor's bytes, as absolute offsets into the whole file.
    public let byteRange: Range<Int>

    /// Number of Float32 values.
    public var count: Int { byteRange.count / MemoryLayout<UInt32>.size }
}

/// A validated safetensors file in memory (layout: `Safetensors`). `init` checks every offset, shape
/// and type before anything is exposed, so reading tensors afterwards cannot go out of bounds.
public struct SafetensorsFile: Sendable {
    public let path: String
    public let metadata: [String: String]
    public let entries: [String: SafetensorsEntry]
    private let bytes: [UInt8]

    /// Parses and validates `bytes` (a whole safetensors file); `path` only names it in errors.
    ///
    /// - Throws: `.headerLengthOutOfRange`, `.malformedHeader` (also for more than
    ///   `maximumHeaderValues` JSON values or nesting deeper than `maximumHeaderDepth`, counted
    ///   before parsing), `.badMetadata`, `.unsupportedDtype`,
    ///   `.tensorOutOfRange`, `.byteCountMismatch`, `.overlappingTensors`, `.unaccountedBytes`.
    public init(bytes: [UInt8], path: String) throws(CheckpointError) {
        guard bytes.count >= 8 else {
            throw .malformedHeader(path: path, reason: "\(bytes.count) bytes, fewer than the 8-byte header length")
        }
        let declaredLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declaredLength <= UInt64(min(bytes.count - 8, Safetensors.maximumHeaderLength)) else {
            throw .headerLengthOutOfRange(path: path, length: declaredLength, fileSize: bytes.count)
        }
        let dataStart = 8 + Int(declaredLength)
        let dataLength = bytes.count - dataStart
        let header = try Self.headerObject(bytes[8..<dataStart], path: path)

        var metadata: [String: String] = [:]
        var entries: [String: SafetensorsEntry] = [:]
        for (name, value) in header {
            if name == Safetensors.metadataKey {
                metadata = try Self.metadata(value, path: path)
                continue
            }
            let entry = try Self.entry(name: name, value, dataLength: dataLength, path: path)
            let byteRange = (dataStart + entry.byteRange.lowerBound)..<(dataStart + entry.byteRange.upperBound)
            entries[name] = SafetensorsEntry(name: name, dtype: entry.dtype, shape: entry.shape, byteRange: byteRange)
        }
        try Self.checkTiling(entries.values, dataStart: dataStart, dataEnd: bytes.count, path: path)
        self.path = path
        self.metadata = metadata
        self.entries = entries
        self.bytes = bytes
    }

    /// Copies tensor `name` into `destination`, which must hold exactly its element count.
    ///
    /// - Throws: `.missingTensor`; `.shapeMismatch` (expected `[destination.count]`) on a count mismatch.
    func floats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws(CheckpointError) {
        guard let entry = entries[name] else { throw .missingTensor(path: path, tensor: name) }
        guard entry.count == destination.count else {
            throw .shapeMismatch(path: path, tensor: name, expected: [destination.count], found: entry.shape)
        }
        bytes.withUnsafeBytes { source in
            var offset = entry.byteRange.lowerBound
            for index in destination.indices {
                let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                destination[index] = Float(bitPattern: bits)
                offset += MemoryLayout<UInt32>.size
            }
        }
    }

    /// Tensor `name` as a new array, in row-major order.
    ///
    /// - Throws: `.missingTensor`.
    public func floatArray(_ name: String) throws(CheckpointError) -> [Float] {
        guard let entry = entries[name] else { throw .missingTensor(path: path, tensor: name) }
        var values = [Float](repeating: 0, count: entry.count)
        try values.withUnsafeMutableBufferPointer { (destination) throws(CheckpointError) in
            try floats(name, into: destination)
        }
        return values
    }

    // MARK: - Implementation details

    /// Largest single dimension accepted; with the overflow-checked product it keeps all arithmetic exact.
    private static let maximumDimension = Int(Int32.max)

    private static func headerObject(_ headerBytes: ArraySlice<UInt8>, path: String) throws(CheckpointError) -> [String: Any] {
        // As Python's reader: the header starts with "{". JSON text never holds a raw NUL, and
        // refusing it keeps JSONSerialization from reading the bytes as UTF-16 or UTF-32.
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw .malformedHeader(path: path, reason: "the header does not start with '{'")
        }
        // memchr: a header can be 100 MB, which a byte-by-byte loop in a debug build takes seconds over.
        let holdsNUL = headerBytes.withUnsafeBufferPointer { memchr($0.baseAddress!, 0, $0.count) != nil }
        guard !holdsNUL, String(validating: headerBytes, as: UTF8.self) != nil else {
            throw .malformedHeader(path: path, reason: "the header is not valid UTF-8 JSON text")
        }
        let census = JSONCensus(headerBytes, limit: Safetensors.maximumHeaderValues)
        guard !census.exceeds(Safetensors.maximumHeaderValues) else {
            throw .malformedHeader(path: path, reason: "the header holds more than \(Safetensors.maximumHeaderValues) JSON "
                                   + "values; a safetensors header lists tensors, about ten values each")
        }
        guard census.depth <= Safetensors.maximumHeaderDepth else {
            throw .malformedHeader(path: path, reason: "the header nests more than \(Safetensors.maximumHeaderDepth) deep; "
                                   + "a safetensors header nests 3 deep")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(headerBytes))
        } catch {
            throw .malformedHeader(path: path, reason: "the header is not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw .malformedHeader(path: path, reason: "the header is not a JSON object")
        }
        return dictionary
    }

    private static func metadata(_ value: Any, path: String) throws(CheckpointError) -> [String: String] {
        guard let dictionary = value as? [String: Any] else {
            throw .malformedHeader(path: path, reason: "'\(Safetensors.metadataKey)' is not a JSON object")
        }
        var metadata: [String: String] = [:]
        for (key, value) in dictionary {
            guard let string = value as? String else {
                throw .badMetadata(path: path, key: key, reason: "the value is \(jsonTypeName(value)), not a string")
            }
            metadata[key] = string
        }
        return metadata
    }

    /// One tensor entry, with `byteRange` still relative to the data section.
    private static func entry(
        name: String, _ value: Any, dataLength: Int, path: String
    ) throws(CheckpointError) -> SafetensorsEntry {
        func malformed(_ reason: String) -> CheckpointError {
            .malformedHeader(path: path, reason: "tensor '\(name)': \(reason)")
        }
        guard let fields = value as? [String: Any] else { throw malformed("the entry is not a JSON object") }
        guard let dtype = fields["dtype"] as? String else { throw malformed("'dtype' is not a string") }
        guard let shapeValues = fields["shape"] as? [Any] else { throw malformed("'shape' is not an array") }
        var shape: [Int] = []
        for value in shapeValues {
            guard let dimension = nonNegativeInteger(value), dimension <= maximumDimension else {
                throw malformed("'shape' holds \(jsonTypeName(value)), not a dimension in 0...\(maximumDimension)")
            }
            shape.append(dimension)
        }
        guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
              let begin = nonNegativeInteger(offsets[0]), let end = nonNegativeInteger(offsets[1]) else {
            throw malformed("'data_offsets' is not a pair of non-negative integers")
        }
        guard begin <= end else { throw malformed("'data_offsets' [\(begin), \(end)] ends before it begins") }
        guard dtype == Safetensors.float32 else {
            throw .unsupportedDtype(path: path, tensor: name, dtype: dtype)
        }
        guard end <= dataLength else { throw .tensorOutOfRange(path: path, tensor: name) }
        var byteCount = MemoryLayout<UInt32>.size
        for dimension in shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .byteCountMismatch(path: path, tensor: name, shape: shape, byteCount: end - begin) }
            byteCount = product
        }
        guard byteCount == end - begin else {
            throw .byteCountMismatch(path: path, tensor: name, shape: shape, byteCount: end - begin)
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// The tensors must tile `dataStart..<dataEnd` exactly, as Python's `safetensors` requires.
    private static func checkTiling(
        _ entries: some Collection<SafetensorsEntry>, dataStart: Int, dataEnd: Int, path: String
    ) throws(CheckpointError) {
        let ordered = entries.sorted {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name)
                < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name)
        }
        var covered = dataStart
        var previousName: String?
        for entry in ordered {
            if entry.byteRange.lowerBound < covered, let previousName {
                throw .overlappingTensors(path: path, first: previousName, second: entry.name)
            }
            if entry.byteRange.lowerBound > covered {
                throw .unaccountedBytes(path: path, offset: covered - dataStart, count: entry.byteRange.lowerBound - covered)
            }
            covered = entry.byteRange.upperBound
            previousName = entry.name
        }
        if covered < dataEnd {
            throw .unaccountedBytes(path: path, offset: covered - dataStart, count: dataEnd - covered)
        }
    }

    /// A JSON integer ≥ 0 that fits `Int`; nil for booleans, fractions, floats, negatives and huge values.
    private static func nonNegativeInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !(number is NSDecimalNumber) else { return nil }
        // JSONSerialization returns booleans as NSNumber with type "c" and non-integers with "d".
        let type = String(cString: number.objCType)
        guard type != "c", type != "d", type != "f", let integer = Int(exactly: number), integer >= 0 else { return nil }
        return integer
    }

    private static func jsonTypeName(_ value: Any) -> String {
        switch value {
        case is String: return "a string"
        case is NSNull: return "null"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case let number as NSNumber:
            return String(cString: number.objCType) == "c" ? "a boolean" : "the number \(number)"
        default: return "an unexpected value"
        }
    }
}
