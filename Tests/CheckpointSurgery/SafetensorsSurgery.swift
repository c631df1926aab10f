// Test support shared by the library and command-line tests: crafting checkpoints.
import CharRNN
import Foundation

/// A safetensors checkpoint taken apart so that a test can break one thing and reassemble it:
/// the `__metadata__` strings, and each tensor with its bytes, in data order. `encoded` lays the
/// tensors out contiguously again, so removing or resizing one keeps the rest consistent.
public struct SafetensorsSurgery {
    public struct Tensor {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var data: [UInt8]
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public var metadata: [String: String]
    public var tensors: [Tensor]

    public init(_ file: [UInt8]) throws {
        let length = Int(file.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        guard let header = try JSONSerialization.jsonObject(with: Data(file[8..<(8 + length)])) as? [String: Any],
              let metadata = header[Safetensors.metadataKey] as? [String: String] else {
            throw Failure(description: "not a charnn safetensors file")
        }
        var located: [(begin: Int, tensor: Tensor)] = []
        for (name, value) in header where name != Safetensors.metadataKey {
            guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                  let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int] else {
                throw Failure(description: "tensor \(name) has an unexpected header entry")
            }
            let data = Array(file[(8 + length + offsets[0])..<(8 + length + offsets[1])])
            located.append((offsets[0], Tensor(name: name, dtype: dtype, shape: shape, data: data)))
        }
        self.metadata = metadata
        tensors = located.sorted { $0.begin < $1.begin }.map(\.tensor)
    }

    public var dataCount: Int { tensors.reduce(0) { $0 + $1.data.count } }

    public func index(of name: String) -> Int? { tensors.firstIndex { $0.name == name } }

    /// Metadata entry `key` (`config`, `vocab`) parsed as JSON.
    public func json(_ key: String) throws -> Any {
        guard let text = metadata[key] else { throw Failure(description: "no metadata \(key)") }
        return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    public mutating func setJSON(_ key: String, _ value: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
        metadata[key] = String(decoding: data, as: UTF8.self)
    }

    /// Edits the `training` record through its own Codable type (its 64-bit seeds do not survive
    /// a round trip through JSONSerialization's numbers).
    public mutating func editTraining(_ edit: (inout TrainingRecord) -> Void) throws {
        guard let text = metadata["training"] else { throw Failure(description: "no training record") }
        var record = try JSONDecoder().decode(TrainingRecord.self, from: Data(text.utf8))
        edit(&record)
        metadata["training"] = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
    }

    /// The file again; `editHeader` may change the header object (offsets included) before it is
    /// serialised, space-padded to a multiple of 8 and prefixed with its length.
    public func encoded(editHeader: (inout [String: Any]) throws -> Void = { _ in }) throws -> [UInt8] {
        var header: [String: Any] = [Safetensors.metadataKey: metadata]
        var data: [UInt8] = []
        for tensor in tensors {
            header[tensor.name] = ["dtype": tensor.dtype, "shape": tensor.shape,
                                   "data_offsets": [data.count, data.count + tensor.data.count]] as [String: Any]
            data += tensor.data
        }
        try editHeader(&header)
        var json = Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        json += repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        let length = UInt64(json.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json + data
    }
}
