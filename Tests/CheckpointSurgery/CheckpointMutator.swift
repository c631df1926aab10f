// Test support shared by the library tests and the structured fuzzer (scripts/fuzz/): hostile
// checkpoints made from real ones, structure first.
import CharRNN

/// A checkpoint's safetensors content taken apart (header members as `RawJSON`, the data bytes)
/// so that one mutation at a time can break it where a reader has to be careful: shapes, dtypes,
/// offsets past the end, overlapping tensors, huge counts, duplicate names, deep nesting, invalid
/// UTF-8, the JSON inside the metadata strings (`config`, `vocab`, `training`), short or NaN tensor
/// data, the length field and padding. `framed()` wraps the result in a valid zstd frame (content
/// checksum on), so every input reaches the header parser rather than dying at the checksum.
public struct CheckpointMutator: Sendable {
    /// The header object's members in file order (`__metadata__` and the tensors).
    public var members: [RawJSON.Member]
    public var data: [UInt8]
    /// Written in the length field instead of the header's real length.
    public var declaredLength: UInt64?
    /// Written after the header instead of the spaces that pad it to a multiple of 8.
    public var padding: [UInt8]?
    /// Written before the header's `{`.
    public var prefix: [UInt8] = []
    /// Bytes of the written header to flip (offset modulo its length, mask).
    public var flips: [(offset: Int, mask: UInt8)] = []
    /// The mutations applied so far, by name.
    public private(set) var applied: [String] = []

    /// Takes apart a well-formed safetensors file; nil for anything else.
    public init?(safetensors file: [UInt8]) {
        guard file.count >= 8 else { return nil }
        let length = file.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(file.count - 8), case .object(let members)? = RawJSON.parse(file[8..<(8 + Int(length))])
        else { return nil }
        self.members = members
        data = Array(file[(8 + Int(length))...])
    }

    /// The safetensors file.
    public func encoded() -> [UInt8] {
        var header = prefix + RawJSON.object(members).bytes
        if !header.isEmpty {
            for flip in flips { header[flip.offset % header.count] ^= flip.mask }
        }
        header += padding ?? Array(repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        let length = declaredLength ?? UInt64(header.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + header + data
    }

    /// The file as `NAME.safetensors.zst` holds it: one zstd frame with its content checksum.
    public func framed() -> [UInt8] {
        // Compressing a buffer in memory fails only on allocation failure.
        (try? ZstdFrame.compress(encoded(), level: 1)) ?? []
    }

    /// Applies one mutation chosen uniformly from `Mutation.allCases`.
    public mutating func mutate(using random: inout some RandomNumberGenerator) {
        let mutation = Mutation.allCases.randomElement(using: &random)!
        apply(mutation, using: &random)
    }

    public mutating func apply(_ mutation: Mutation, using random: inout some RandomNumberGenerator) {
        applied.append(mutation.rawValue)
        switch mutation {
        case .dimension: editTensor(using: &random) { tensor, random in
            var shape = Self.elements(tensor["shape"])
            let value = Self.interestingNumbers.randomElement(using: &random)!
            if shape.isEmpty { shape.append(value) } else { shape[Int.random(in: 0..<shape.count, using: &random)] = value }
            tensor["shape"] = .array(shape)
        }
        case .rank: editTensor(using: &random) { tensor, random in
            var shape = Self.elements(tensor["shape"])
            switch Int.random(in: 0..<6, using: &random) {
            case 0: shape.append(.integer(1))
            case 1: if !shape.isEmpty { shape.removeLast() }
            case 2: shape = []
            case 3: shape = [.array(shape)]
            case 4: shape = [.integer(shape.compactMap(\.intValue).reduce(1, &*))]
            default: shape = Array(repeating: .integer(1), count: Int.random(in: 100...5_000, using: &random)) + shape
            }
            tensor["shape"] = .array(shape)
        }
        case .shapeOfAnother:
            let shapes = tensorIndices.compactMap { Self.value(of: members[$0])?["shape"] }
            editTensor(using: &random) { tensor, random in tensor["shape"] = shapes.randomElement(using: &random) }
        case .dtype: editTensor(using: &random) { tensor, random in
            tensor["dtype"] = Self.dtypes.randomElement(using: &random)!
        }
        case .offsets: editTensor(using: &random) { [dataCount = data.count] tensor, random in
            let pair = Self.elements(tensor["data_offsets"]).compactMap(\.intValue)
            let (begin, end) = pair.count == 2 ? (pair[0], pair[1]) : (0, 0)
            // Wrapping arithmetic: earlier mutations may have left any integer here.
            let size = end &- begin
            let offsets: [RawJSON]
            switch Int.random(in: 0..<9, using: &random) {
            case 0: let past = dataCount + 4 * Int.random(in: 0...3, using: &random)
                offsets = [.integer(past &- size &+ 4), .integer(past &+ 4)]  // past the end
            case 1: offsets = [.integer(end), .integer(begin)]  // reversed
            case 2: let shift = 4 &* Int.random(in: 1...max(1, size / 4), using: &random)
                offsets = [.integer(begin &- shift), .integer(end &- shift)]  // overlaps the tensor before
            case 3: offsets = [.integer(begin &+ 4), .integer(end &+ 4)]
            case 4: offsets = [.integer(begin), Self.interestingNumbers.randomElement(using: &random)!]
            case 5: offsets = [Self.interestingNumbers.randomElement(using: &random)!, .integer(end)]
            case 6: offsets = [.integer(begin)]
            case 7: offsets = [.integer(begin), .integer(end), .integer(end)]
            default: offsets = [.integer(begin), .integer(begin)]
            }
            tensor["data_offsets"] = .array(offsets)
        }
        case .duplicate:
            guard !members.isEmpty else { return }
            var copy = members.randomElement(using: &random)!
            if Bool.random(using: &random), case .object = copy.value { copy.value["dtype"] = .string("F16") }
            members.insert(copy, at: Int.random(in: 0...members.count, using: &random))
        case .rename:
            guard let index = tensorIndices.randomElement(using: &random) else { return }
            let others = tensorIndices.map { members[$0].key }
            members[index].key = [
                others.randomElement(using: &random)!, RawJSON.quoted("__metadata__"), RawJSON.quoted(""),
                Array("\"rnn.weight_\u{FF}\u{FE}\"".utf8), [0x22, 0x72, 0xFF, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0x22],
                Array("\"\\ud800\"".utf8), Array("\"\\u0000\"".utf8), RawJSON.quoted("rnn.weight\nhh_l0\u{1B}[2J"),
                RawJSON.quoted(String(repeating: "x", count: Int.random(in: 1000...20_000, using: &random))),
            ].randomElement(using: &random)!
        case .remove:
            guard !members.isEmpty else { return }
            if Bool.random(using: &random) {
                members.remove(at: Int.random(in: 0..<members.count, using: &random))
            } else {
                editTensor(using: &random) { tensor, random in
                    let field = ["dtype", "shape", "data_offsets"].randomElement(using: &random)!
                    if Bool.random(using: &random) { tensor[field] = nil } else { tensor["extra"] = .integer(1) }
                }
            }
        case .deepNesting:
            let depth = [10, 100, 600, 5_000, 50_000].randomElement(using: &random)!
            let (open, close) = Bool.random(using: &random)
                ? (Array("[".utf8), Array("]".utf8)) : (Array("{\"a\":".utf8), Array("}".utf8))
            let nested = RawJSON.scalar(Array(repeatElement(open, count: depth).joined()) + Array("1".utf8)
                                        + Array(repeatElement(close, count: depth).joined()))
            switch Int.random(in: 0..<4, using: &random) {
            case 0: editTensor(using: &random) { tensor, random in
                tensor[["shape", "data_offsets", "dtype"].randomElement(using: &random)!] = nested
            }
            case 1: editMetadata(using: &random) { metadata, random in
                let key = ["config", "vocab", "training", "format"].randomElement(using: &random)!
                metadata[key] = Bool.random(using: &random) ? nested : .string(String(decoding: nested.bytes, as: UTF8.self))
            }
            case 2: editMetadataJSON(using: &random) { json, random in
                Self.replaceRandomLeaf(of: &json, with: nested, using: &random)
            }
            default: members.insert(RawJSON.Member("nested", nested), at: Int.random(in: 0...members.count, using: &random))
            }
        case .invalidUTF8:
            let garbage: [[UInt8]] = [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82],
                                      [0x00], Array("\\ud800".utf8), Array("\\udfff\\ud800".utf8)]
            let bytes = garbage.randomElement(using: &random)!
            if Bool.random(using: &random), let index = members.indices.randomElement(using: &random) {
                members[index].key.insert(contentsOf: bytes, at: max(1, members[index].key.count - 1))
            } else {
                editMetadata(using: &random) { metadata, random in
                    let key = ["config", "vocab", "training", "format"].randomElement(using: &random)!
                    guard case .scalar(var text)? = metadata[key], text.count >= 2 else { return }
                    text.insert(contentsOf: bytes, at: Int.random(in: 1..<text.count, using: &random))
                    metadata[key] = .scalar(text)
                }
            }
        case .manyTensors:
            let count = [10, 300, 1_000].randomElement(using: &random)!
            let offset = data.count
            let empty = RawJSON.object([RawJSON.Member("dtype", .string("F32")), RawJSON.Member("shape", .array([.integer(0)])),
                                        RawJSON.Member("data_offsets", .array([.integer(offset), .integer(offset)]))])
            members += (0..<count).map { RawJSON.Member("empty.\($0)", empty) }
        case .metadataType:
            if Int.random(in: 0..<4, using: &random) == 0, let index = metadataIndex {
                members[index].value = [.array([]), .string("x"), .literal("null"), .integer(7)].randomElement(using: &random)!
            } else {
                editMetadata(using: &random) { metadata, random in
                    let key = ["config", "vocab", "training", "format"].randomElement(using: &random)!
                    metadata[key] = [.integer(1), .literal("null"), .array([.string("a")]), .object([])].randomElement(using: &random)!
                }
            }
        case .metadataKeys:
            editMetadata(using: &random) { metadata, random in
                let key = ["config", "vocab", "training", "format"].randomElement(using: &random)!
                switch Int.random(in: 0..<3, using: &random) {
                case 0: metadata[key] = nil
                case 1: if key == "format" {
                    metadata[key] = [.string("charnn-2"), .string(""), .string("charnn-1 "), .string("charnn-1\r\nline")]
                        .randomElement(using: &random)!
                }
                default:
                    guard case .object(var list) = metadata, let value = metadata[key] else { return }
                    list.append(RawJSON.Member(key, Bool.random(using: &random) ? value : .string("[]")))
                    metadata = .object(list)
                }
            }
        case .config:
            editMetadataJSON(keys: ["config"], using: &random) { config, random in
                let field = ["cell", "gru_variant", "layers", "hidden", "embed", "dropout", "tokenizer", "normalize",
                             "bidirectional", "task", "unknown"].randomElement(using: &random)!
                config[field] = (Self.interestingNumbers + Self.configWords).randomElement(using: &random)!
            }
        case .vocab:
            editMetadataJSON(keys: ["vocab"], using: &random) { vocab, random in
                var symbols = Self.elements(vocab)
                switch Int.random(in: 0..<6, using: &random) {
                case 0: symbols.append(.string(["\u{1F600}", "ab", "", "\u{0}", "é", "\u{10FFFF}"].randomElement(using: &random)!))
                case 1: if let first = symbols.first { symbols.append(first) }
                case 2: if !symbols.isEmpty { symbols.remove(at: Int.random(in: 0..<symbols.count, using: &random)) }
                case 3: symbols.reverse()
                case 4: symbols = (0..<Int.random(in: 300...5_000, using: &random)).compactMap { Unicode.Scalar(UInt32(0x100 + $0)) }
                    .map { .string(String($0)) }
                default: if !symbols.isEmpty { symbols[Int.random(in: 0..<symbols.count, using: &random)] = .integer(65) }
                }
                vocab = .array(symbols)
            }
        case .training:
            editMetadataJSON(keys: ["training"], using: &random) { training, random in
                Self.replaceRandomLeaf(of: &training, with: (Self.interestingNumbers + Self.configWords).randomElement(using: &random)!,
                                       using: &random)
            }
        case .shortData:
            let cut = [1, 3, 4, 8, Int.random(in: 1...max(1, data.count), using: &random)].randomElement(using: &random)!
            data.removeLast(min(cut, data.count))
        case .longData:
            data += Array(repeating: 0, count: [1, 4, 7, 4096].randomElement(using: &random)!)
        case .specialFloats:
            guard data.count >= 4 else { return }
            let patterns: [UInt32] = [0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0x7F80_0000, 0xFF80_0000, 0x8000_0000,
                                      0x0000_0001, 0x7F7F_FFFF]
            for _ in 0..<Int.random(in: 1...16, using: &random) {
                let at = 4 * Int.random(in: 0..<(data.count / 4), using: &random)
                let bits = patterns.randomElement(using: &random)!
                for byte in 0..<4 { data[at + byte] = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(byte))) }
            }
        case .lengthField:
            let real = UInt64(RawJSON.object(members).bytes.count + prefix.count)
            declaredLength = [0, 1, 7, real - 1, real + 1, real + 8, real + UInt64(data.count) + 1, 1 << 32,
                              UInt64(Int.max), UInt64.max].randomElement(using: &random)!
        case .padding:
            padding = [[], [0], [0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20], Array("\t\n\r ".utf8),
                       [0xFF, 0xFE], Array("}".utf8), Array(",".utf8)].randomElement(using: &random)!
            if Int.random(in: 0..<3, using: &random) == 0 {
                prefix = [Array(" ".utf8), [0xEF, 0xBB, 0xBF], Array("\n".utf8), [0]].randomElement(using: &random)!
            }
        case .flipHeaderByte:
            flips.append((Int.random(in: 0..<Int.max, using: &random), UInt8.random(in: 1...255, using: &random)))
        }
    }

    /// The kinds of mutation, each a place a reader has to be careful.
    public enum Mutation: String, CaseIterable, Sendable {
        case dimension, rank, shapeOfAnother, dtype, offsets, duplicate, rename, remove, deepNesting, invalidUTF8
        case manyTensors, metadataType, metadataKeys, config, vocab, training
        case shortData, longData, specialFloats, lengthField, padding, flipHeaderByte
    }

    // MARK: - Implementation details

    private static let interestingNumbers: [RawJSON] = [
        "0", "1", "-1", "2", "3", "7", "255", "256", "65535", "65536", "65537", "2147483647", "2147483648", "4294967295",
        "4294967296", "9007199254740993", "9223372036854775807", "9223372036854775808", "18446744073709551615",
        "18446744073709551616", "1e400", "-1e400", "1.5", "1e2", "-0", "0.0", "3.0", "1E3", "5e-324", "true", "false",
        "null", "\"4\"", "[]", "{}", "99999999999999999999999999999999999999",
    ].map(RawJSON.literal)

    private static let configWords: [RawJSON] = [
        "lstm", "gru", "lstm-ln", "rnn", "reset-before", "reset-after", "scalars", "bytes", "none", "nfc", "lm",
        "restore-diacritics", "restore-case", "", "LSTM", "lstm\nsecond line",
    ].map(RawJSON.string)

    private static let dtypes: [RawJSON] = [
        "\"F16\"", "\"BF16\"", "\"F64\"", "\"I32\"", "\"U8\"", "\"BOOL\"", "\"f32\"", "\"\"", "\"F32 \"", "32", "null",
        "[\"F32\"]", "\"F8_E4M3\"", "\"F16\\nsecond line\"",
    ].map(RawJSON.literal)

    private var metadataIndex: Int? { members.firstIndex { $0.key == RawJSON.quoted("__metadata__") } }

    private var tensorIndices: [Int] {
        members.indices.filter { members[$0].key != RawJSON.quoted("__metadata__") }
    }

    private static func value(of member: RawJSON.Member) -> RawJSON? { member.value }

    private static func elements(_ value: RawJSON?) -> [RawJSON] {
        if case .array(let elements)? = value { return elements }
        return []
    }

    private mutating func editTensor(using random: inout some RandomNumberGenerator,
                                     _ edit: (inout RawJSON, inout any RandomNumberGenerator) -> Void) {
        guard let index = tensorIndices.randomElement(using: &random) else { return }
        var erased: any RandomNumberGenerator = SplitMix64(seed: random.next())
        edit(&members[index].value, &erased)
    }

    private mutating func editMetadata(using random: inout some RandomNumberGenerator,
                                       _ edit: (inout RawJSON, inout any RandomNumberGenerator) -> Void) {
        guard let index = metadataIndex else { return }
        var erased: any RandomNumberGenerator = SplitMix64(seed: random.next())
        edit(&members[index].value, &erased)
    }

    /// Edits the JSON held in a metadata string (`config`, `vocab` or `training`), then stores it
    /// back as a string.
    private mutating func editMetadataJSON(keys: [String] = ["config", "vocab", "training"],
                                           using random: inout some RandomNumberGenerator,
                                           _ edit: (inout RawJSON, inout any RandomNumberGenerator) -> Void) {
        editMetadata(using: &random) { metadata, random in
            let key = keys.randomElement(using: &random)!
            guard let text = metadata[key]?.stringValue, var json = RawJSON.parse(Array(text.utf8)) else { return }
            edit(&json, &random)
            metadata[key] = .scalar(Self.quotedBytes(json.bytes))
        }
    }

    /// `bytes` (any, even invalid UTF-8) as a JSON string: quotes, backslashes and control
    /// characters escaped, everything else as it is.
    private static func quotedBytes(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), byte]
            case 0..<0x20: output += Array("\\u00".utf8) + hexDigits(byte)
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    private static func hexDigits(_ byte: UInt8) -> [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        return [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
    }

    /// Replaces one scalar of `json`, at any depth, with `replacement`.
    private static func replaceRandomLeaf(of json: inout RawJSON, with replacement: RawJSON,
                                          using random: inout any RandomNumberGenerator) {
        switch json {
        case .scalar: json = replacement
        case .array(var elements):
            guard let index = elements.indices.randomElement(using: &random) else { json = replacement; return }
            replaceRandomLeaf(of: &elements[index], with: replacement, using: &random)
            json = .array(elements)
        case .object(var members):
            guard let index = members.indices.randomElement(using: &random) else { json = replacement; return }
            replaceRandomLeaf(of: &members[index].value, with: replacement, using: &random)
            json = .object(members)
        }
    }
}
