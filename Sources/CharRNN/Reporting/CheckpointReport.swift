import Foundation

/// What `charnn info` shows of a checkpoint.
public struct CheckpointReport {
    public let path: String
    public let checkpoint: Checkpoint

    public init(path: String) throws(CheckpointError) {
        self.path = path
        checkpoint = try Checkpoint.read(from: path)
    }

    var tensors: [(name: String, shape: [Int], count: Int)] {
        ParameterLayout(checkpoint.config).tensors.map { ($0.name, $0.shape, $0.count) }
    }

    /// The vocabulary as readable text: control characters and spaces by name.
    var vocabularyPreview: String {
        let shown = checkpoint.vocabulary.symbols.prefix(100).map { symbol -> String in
            switch symbol {
            case "\n": return "\\n"
            case "\t": return "\\t"
            case " ": return "␠"
            default:
                let value = symbol.unicodeScalars.first!.value
                return value < 0x20 || value == 0x7F ? String(format: "\\x%02X", value) : symbol
            }
        }
        return shown.joined() + (checkpoint.vocabulary.count > 100 ? "…" : "")
    }

    public func text() -> String {
        let c = checkpoint.config
        var lines = ["checkpoint \(path)", "format: \(Checkpoint.format)"]
        var model = "model: \(c.cell.rawValue)"
        if c.cell.takesGRUVariant { model += " (\(c.gruVariant.rawValue))" }
        model += ", \(c.layerCount) layers × \(c.hiddenSize) hidden, embedding \(c.embeddingSize), dropout \(c.dropout)"
        if c.bidirectional { model += ", bidirectional" }
        lines.append(model)
        lines.append("task: \(checkpoint.task.rawValue)")
        lines.append("tokenizer: \(checkpoint.vocabulary.tokenization.rawValue), normalize: \(checkpoint.normalization.rawValue)")
        lines.append("vocabulary: \(checkpoint.vocabulary.count) characters: \(vocabularyPreview)")
        lines.append("parameters:")
        for tensor in tensors {
            let shape = tensor.shape.map(String.init).joined(separator: " × ")
            lines.append("  \(tensor.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(shape.padding(toLength: 12, withPad: " ", startingAt: 0)) \(tensor.count)")
        }
        lines.append("  total \(checkpoint.parameters.count)")
        if let t = checkpoint.training {
            lines.append("training: step \(t.step), epoch \(t.epoch) (window \(t.window) of \(t.windowsPerEpoch)), batch \(t.batch) × seq \(t.seq), lr \(t.learningRate)")
            lines.append("best validation loss: " + (t.bestValidationLoss.map { String(format: "%.4f nats/char (%.4f bits/char)", $0, $0 / Foundation.log(2.0)) } ?? "none yet"))
            lines += corpusLines(t.corpus)
        } else {
            lines.append("training: none saved (weights only)")
        }
        lines.append("optimiser state: \(checkpoint.adamM == nil ? "no" : "yes (Adam m, v)")")
        lines.append("size: \(checkpoint.compressedSize) bytes compressed, \(checkpoint.uncompressedSize) uncompressed")
        return lines.joined(separator: "\n")
    }

    /// Files listed in the text report; `--json` lists every one.
    static let listedFiles = 20

    /// The corpus a checkpoint was trained on: its files (name and size) when it has several.
    func corpusLines(_ corpus: CorpusFingerprint) -> [String] {
        let files = corpus.files ?? []
        guard files.count > 1 else {
            let name = files.first.map { "\($0.name), " } ?? ""
            return ["corpus: \(name)\(corpus.byteCount) bytes, \(corpus.hash)"]
        }
        var lines = ["corpus: \(files.count) files, \(corpus.byteCount) bytes, \(corpus.hash)"]
        let width = min(files.map(\.name.count).max()!, 60)
        for file in files.prefix(Self.listedFiles) {
            lines.append("  \(file.name.padding(toLength: max(width, file.name.count), withPad: " ", startingAt: 0))  \(file.byteCount) bytes")
        }
        if files.count > Self.listedFiles {
            lines.append("  … and \(files.count - Self.listedFiles) more (info --json lists them all)")
        }
        return lines
    }

    public func json() -> String {
        var object: [String: Any] = [
            "path": path,
            "format": Checkpoint.format,
            "config": (try? JSONSerialization.jsonObject(with: Data(Checkpoint.json(
                ConfigRecord(config: checkpoint.config, tokenization: checkpoint.vocabulary.tokenization,
                             normalization: checkpoint.normalization, task: checkpoint.task)).utf8))) ?? [:],
            "vocab_size": checkpoint.vocabulary.count,
            "vocab": checkpoint.vocabulary.symbols,
            "parameters": Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, ["shape": $0.shape, "count": $0.count] as [String: Any]) }),
            "parameter_count": checkpoint.parameters.count,
            "optimizer_state": checkpoint.adamM != nil,
            "compressed_bytes": checkpoint.compressedSize,
            "uncompressed_bytes": checkpoint.uncompressedSize,
        ]
        if let training = checkpoint.training,
           let value = try? JSONSerialization.jsonObject(with: Data(Checkpoint.json(training).utf8)) {
            object["training"] = value
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
