import Foundation

/// A model saved to or loaded from `NAME.safetensors.zst`: one zstd frame (content checksum on)
/// holding a safetensors file.
///
/// Tensors: PyTorch `state_dict` names (`embedding.weight`, `rnn.weight_ih_l{k}`, …,
/// `decoder.bias`), then, when training state is kept, Adam's moments `optimizer.m.<name>` and
/// `optimizer.v.<name>` and the recurrent state carried into the next window,
/// `training.state_h` (L·directions, B, H) and, for the LSTM, `training.state_c`.
/// Metadata (all strings): `format` = `charnn-1`; `config`, `vocab` and `training` as JSON.
public struct Checkpoint {
    public static let format = "charnn-1"
    /// Decompressed checkpoints larger than this are refused before any memory is committed
    /// (a 3 × 512 LSTM with its Adam moments is about 62 MB).
    public static let maximumContentSize = 2 << 30
    /// Most JSON values a metadata string (`config`, `training`) may hold, counted before it is
    /// decoded (the decoder spends about a microsecond and a hundred bytes on each): a training
    /// record lists its corpus files in 7 values each, so this admits some 600,000 files, while
    /// a compressed file of a few kilobytes could otherwise hold 50 million values (measured: 2
    /// million file entries took 9 s and 950 MB to refuse). `vocab` is bounded more tightly, by
    /// the rows of `embedding.weight`, which the file's data backs.
    public static let maximumMetadataValues = 1 << 22

    public var config: ModelConfig
    public var vocabulary: Vocabulary
    public var normalization: Normalization
    public var task: TrainingTask
    public var training: TrainingRecord?
    /// The parameters, in `ParameterLayout` order.
    public var parameters: [Float]
    /// Adam's moments, when saved.
    public var adamM: [Float]?
    public var adamV: [Float]?
    /// The weight average (`--ema`) of a run that keeps one, when saved (`average.<name>`).
    public var averaged: [Float]?
    /// The recurrent state carried into the next training window, (L·directions, B, H) each.
    public var stateH: [Float]?
    public var stateC: [Float]?
    /// File sizes, when loaded from disk.
    public var compressedSize = 0
    public var uncompressedSize = 0

    public init(config: ModelConfig, vocabulary: Vocabulary, normalization: Normalization, task: TrainingTask = .lm,
                training: TrainingRecord?, parameters: [Float], adamM: [Float]? = nil, adamV: [Float]? = nil,
                stateH: [Float]? = nil, stateC: [Float]? = nil) {
        self.config = config
        self.vocabulary = vocabulary
        self.normalization = normalization
        self.task = task
        self.training = training
        self.parameters = parameters
        self.adamM = adamM
        self.adamV = adamV
        self.stateH = stateH
        self.stateC = stateC
    }

    /// A model holding these parameters.
    public func makeModel() -> CharRNNModel<Float> {
        let model = CharRNNModel<Float>(config: config, seed: 0)
        _ = model.parameters.update(fromContentsOf: parameters)
        return model
    }

    // MARK: - Writing

    /// The uncompressed safetensors bytes.
    public func encoded() -> [UInt8] {
        let layout = ParameterLayout(config)
        var metadata = [
            "format": Checkpoint.format,
            "config": Checkpoint.json(ConfigRecord(config: config, tokenization: vocabulary.tokenization,
                                                   normalization: normalization, task: task)),
            "vocab": Checkpoint.json(vocabulary.symbols),
        ]
        if let training { metadata["training"] = Checkpoint.json(training) }

        // All tensors in one contiguous array, so one pointer serves every slice.
        var prefixes = [""]
        var values = parameters
        if let adamM, let adamV {
            prefixes += ["optimizer.m.", "optimizer.v."]
            values += adamM
            values += adamV
        }
        if let averaged {
            prefixes.append("average.")
            values += averaged
        }
        let stateStart = values.count
        values += (stateH ?? []) + (stateC ?? [])
        let states = config.layerCount * config.directionCount
        let stateShape = [states, (stateH?.count ?? 0) / (states * config.hiddenSize), config.hiddenSize]
        return values.withUnsafeBufferPointer { all in
            var tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)] = []
            func slice(_ start: Int, _ count: Int) -> UnsafeBufferPointer<Float> {
                UnsafeBufferPointer(rebasing: all[start..<(start + count)])
            }
            for (block, prefix) in prefixes.enumerated() {
                for slot in layout.tensors {
                    tensors.append((prefix + slot.name, slot.shape, slice(block * layout.totalCount + slot.offset, slot.count)))
                }
            }
            if let stateH { tensors.append(("training.state_h", stateShape, slice(stateStart, stateH.count))) }
            if let stateC { tensors.append(("training.state_c", stateShape, slice(stateStart + (stateH?.count ?? 0), stateC.count))) }
            return Safetensors.encode(tensors: tensors, metadata: metadata)
        }
    }

    /// Writes the checkpoint atomically: a crash at any moment leaves the previous file readable.
    public func write(to path: String) throws(CheckpointError) {
        let bytes = encoded()
        let compressed = try ZstdFrame.compress(bytes, path: path)
        try AtomicFile.write(compressed, to: path)
    }

    // MARK: - Reading

    /// Reads and validates a checkpoint; every inconsistency is a specific `CheckpointError`. An
    /// ensemble's manifest is refused with the path of its best member.
    public static func read(from path: String) throws(CheckpointError) -> Checkpoint {
        if EnsembleManifest.names(path), let manifest = try? EnsembleManifest.read(from: path) {
            throw .ensembleNotSupported(path: path, member: manifest.memberPath(manifest.bestMember, manifestPath: path))
        }
        let compressed = try AtomicFile.readAll(path: path)
        let bytes = try ZstdFrame.decompress(compressed, path: path, limit: maximumContentSize)
        var checkpoint = try decode(bytes, path: path)
        checkpoint.compressedSize = compressed.count
        checkpoint.uncompressedSize = bytes.count
        return checkpoint
    }

    static func decode(_ bytes: [UInt8], path: String) throws(CheckpointError) -> Checkpoint {
        let file = try SafetensorsFile(bytes: bytes, path: path)
        guard let format = file.metadata["format"] else {
            throw .badMetadata(path: path, key: "format", reason: "missing")
        }
        guard format == Checkpoint.format else {
            throw .unsupportedFormat(path: path, found: format, supported: Checkpoint.format)
        }
        let record: ConfigRecord = try metadataJSON(file, key: "config", path: path)
        // The vocabulary is counted against the embedding's rows before it is decoded: one symbol
        // per row, and the rows are backed by the file's data (measured: 10 million one-letter
        // symbols took 11 s and 730 MB to decode before they could be refused).
        if let embedding = file.entries["embedding.weight"], let text = file.metadata["vocab"],
           text.utf8.first == UInt8(ascii: "[") {
            let rows = embedding.shape.first ?? 0
            // The array and one symbol more than the rows are counted exactly.
            let census = JSONCensus(text.utf8, limit: rows + 2)
            if census.exceeds(rows + 2) || census.topLevelValues != rows {
                let count = census.exceeds(rows + 2) ? "more than \(rows + 1)" : "\(census.topLevelValues)"
                throw .badMetadata(path: path, key: "vocab", reason: "\(count) characters, but embedding.weight has \(rows) rows")
            }
        }
        let symbols: [String] = try metadataJSON(file, key: "vocab", path: path)
        let vocabulary: Vocabulary
        do {
            vocabulary = try Vocabulary(symbols: symbols, tokenization: record.tokenizer)
        } catch {
            throw .badMetadata(path: path, key: "vocab", reason: "\(error)")
        }
        let training: TrainingRecord? = file.metadata["training"] == nil
            ? nil : try metadataJSON(file, key: "training", path: path)
        if let training, let problem = training.inconsistency {
            throw .badMetadata(path: path, key: "training", reason: problem)
        }
        guard record.layers > 0, record.layers <= 64, record.hidden > 0, record.hidden <= 1 << 16,
              record.embed > 0, record.embed <= 1 << 16, record.dropout >= 0, record.dropout < 1 else {
            throw .badMetadata(path: path, key: "config", reason: "layers, hidden, embed or dropout out of range")
        }
        if record.cell.takesGRUVariant, record.gruVariant == nil {
            throw .badMetadata(path: path, key: "config", reason: "a \(record.cell.displayName) needs gru_variant")
        }
        let config = ModelConfig(cell: record.cell, gruVariant: record.gruVariant ?? .resetBefore,
                                 layerCount: record.layers, hiddenSize: record.hidden, embeddingSize: record.embed,
                                 vocabularySize: vocabulary.count, dropout: record.dropout,
                                 bidirectional: record.bidirectional ?? false)
        if let embedding = file.entries["embedding.weight"], embedding.shape.first != vocabulary.count {
            let rows = embedding.shape.first.map(String.init) ?? "no"
            throw .badMetadata(path: path, key: "vocab",
                               reason: "\(vocabulary.count) characters, but embedding.weight has \(rows) rows")
        }

        let layout = ParameterLayout(config)
        func block(_ prefix: String) throws(CheckpointError) -> [Float] {
            // Every tensor is checked against the config before anything is allocated: memory then
            // follows the file's own (bounded) size, not what a crafted config claims.
            for slot in layout.tensors {
                let name = prefix + slot.name
                guard let entry = file.entries[name] else { throw .missingTensor(path: path, tensor: name) }
                guard entry.shape == slot.shape else {
                    throw .shapeMismatch(path: path, tensor: name, expected: slot.shape, found: entry.shape)
                }
            }
            var values = [Float](repeating: 0, count: layout.totalCount)
            for slot in layout.tensors {
                let name = prefix + slot.name
                try values.withUnsafeMutableBufferPointer { (all) throws(CheckpointError) in
                    try file.floats(name, into: UnsafeMutableBufferPointer(rebasing: all[slot.offset..<(slot.offset + slot.count)]))
                }
            }
            return values
        }
        var checkpoint = Checkpoint(config: config, vocabulary: vocabulary, normalization: record.normalize,
                                    task: record.task ?? .lm, training: training, parameters: try block(""))
        if file.entries["optimizer.m.embedding.weight"] != nil {
            checkpoint.adamM = try block("optimizer.m.")
            checkpoint.adamV = try block("optimizer.v.")
        }
        if file.entries["average.embedding.weight"] != nil { checkpoint.averaged = try block("average.") }
        if file.entries["training.state_h"] != nil {
            checkpoint.stateH = try file.floatArray("training.state_h")
            if config.cell.carriesCellState { checkpoint.stateC = try file.floatArray("training.state_c") }
        }
        return checkpoint
    }

    private static func metadataJSON<T: Decodable>(_ file: SafetensorsFile, key: String, path: String) throws(CheckpointError) -> T {
        guard let text = file.metadata[key] else { throw .badMetadata(path: path, key: key, reason: "missing") }
        if JSONCensus(text.utf8, limit: maximumMetadataValues).exceeds(maximumMetadataValues) {
            throw .badMetadata(path: path, key: key, reason: "holds more than \(maximumMetadataValues) JSON values")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw .badMetadata(path: path, key: key, reason: "not the expected JSON (\(Checkpoint.describe(error)))")
        }
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing key \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context):
            let where_ = context.codingPath.map(\.stringValue).joined(separator: ".")
            return where_.isEmpty ? "malformed JSON" : "bad value at \(where_)"
        default: return "malformed JSON"
        }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain records cannot fail.
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension ConfigRecord {
    init(config: ModelConfig, tokenization: Tokenization, normalization: Normalization, task: TrainingTask) {
        cell = config.cell
        gruVariant = config.cell.takesGRUVariant ? config.gruVariant : nil
        layers = config.layerCount
        hidden = config.hiddenSize
        embed = config.embeddingSize
        dropout = config.dropout
        tokenizer = tokenization
        normalize = normalization
        bidirectional = config.bidirectional
        self.task = task
    }
}
