/// What a run trains, resolved once: each choice is the option given, else the resumed
/// checkpoint's, else the default (`TrainingDefaults`). A pure function of its inputs, so the merge
/// and the resume compatibility check are tested without a corpus or a file.
public struct RunConfiguration: Equatable, Sendable {
    public var tokenization: Tokenization
    public var normalization: Normalization
    public var task: TrainingTask
    public var cell: CellKind
    public var gruVariant: GRUVariant
    public var layerCount: Int
    public var hiddenSize: Int
    public var embeddingSize: Int
    public var dropout: Double
    public var bidirectional: Bool
    public var batch: Int
    public var seq: Int
    public var validationFraction: Double
    /// The seed of the initial weights and dropout: a resumed run keeps its checkpoint's.
    public var seed: UInt64
    /// At most this many validation characters; nil: all that `validationFraction` holds out.
    public var validationLimit: Int?
    public var separator: String

    public init(options: TrainingOptions, resumed: Checkpoint? = nil) throws(TrainingError) {
        let base = resumed?.config, record = resumed?.training
        tokenization = options.tokenization ?? resumed?.vocabulary.tokenization ?? .scalars
        normalization = options.normalization ?? resumed?.normalization ?? .none
        task = options.task ?? resumed?.task ?? TrainingDefaults.task
        cell = options.cell ?? base?.cell ?? TrainingDefaults.cell
        gruVariant = options.gruVariant ?? base?.gruVariant ?? TrainingDefaults.gruVariant
        layerCount = options.layerCount ?? base?.layerCount ?? TrainingDefaults.layerCount
        hiddenSize = options.hiddenSize ?? base?.hiddenSize ?? TrainingDefaults.hiddenSize
        embeddingSize = options.embeddingSize ?? base?.embeddingSize ?? TrainingDefaults.embeddingSize
        dropout = options.dropout ?? base?.dropout ?? TrainingDefaults.dropout
        bidirectional = options.bidirectional ?? base?.bidirectional ?? false
        batch = options.batch ?? record?.batch ?? TrainingDefaults.batch
        seq = options.seq ?? record?.seq ?? TrainingDefaults.seq
        validationFraction = options.validationFraction ?? record?.validationFraction
            ?? TrainingDefaults.validationFraction
        seed = record?.seed ?? options.seed
        validationLimit = options.validationLimit ?? record?.validationLimit
        separator = options.separator ?? record?.separator ?? TrainingDefaults.separator
        if bidirectional, task == .lm { throw .bidirectionalLanguageModel }
        if task != .lm, tokenization == .bytes { throw .restorationOfBytes(task: task.rawValue) }
    }

    /// The model for a vocabulary of `vocabularySize` symbols.
    public func modelConfig(vocabularySize: Int) -> ModelConfig {
        ModelConfig(cell: cell, gruVariant: gruVariant, layerCount: layerCount, hiddenSize: hiddenSize,
                    embeddingSize: embeddingSize, vocabularySize: vocabularySize, dropout: dropout,
                    bidirectional: bidirectional)
    }

    /// Throws unless `checkpoint` (read from `path`) can be continued by this configuration on a
    /// corpus with `fingerprint` and `vocabulary`: every flag that contradicts it is named; a changed
    /// corpus is refused unless `force`; a changed vocabulary always.
    public func checkCompatible(with checkpoint: Checkpoint, path: String, corpus fingerprint: CorpusFingerprint,
                                vocabulary: Vocabulary, force: Bool) throws(TrainingError) {
        var differences: [String] = []
        func compare<T: Equatable>(_ flag: String, _ saved: T, _ asked: T) {
            if saved != asked { differences.append("--\(flag) \(asked) differs from the checkpoint's \(saved)") }
        }
        let saved = checkpoint.config
        compare("cell", saved.cell.rawValue, cell.rawValue)
        if cell.takesGRUVariant { compare("gru-variant", saved.gruVariant.rawValue, gruVariant.rawValue) }
        compare("layers", saved.layerCount, layerCount)
        compare("hidden", saved.hiddenSize, hiddenSize)
        compare("embed", saved.embeddingSize, embeddingSize)
        compare("dropout", saved.dropout, dropout)
        compare("bidirectional", saved.bidirectional, bidirectional)
        compare("task", checkpoint.task.rawValue, task.rawValue)
        compare("bytes", checkpoint.vocabulary.tokenization == .bytes, tokenization == .bytes)
        compare("normalize", checkpoint.normalization.rawValue, normalization.rawValue)
        if let record = checkpoint.training {
            compare("batch", record.batch, batch)
            compare("seq", record.seq, seq)
            compare("val-frac", record.validationFraction, validationFraction)
            compare("val-chars", record.validationLimit.map(String.init) ?? "all", validationLimit.map(String.init) ?? "all")
            compare("separator", (record.separator ?? TrainingDefaults.separator).debugDescription,
                    separator.debugDescription)
        }
        guard differences.isEmpty else { throw .architectureMismatch(checkpoint: path, differences: differences) }
        if let record = checkpoint.training, !fingerprint.matches(record.corpus), !force {
            throw .corpusMismatch(checkpoint: path, expected: record.corpus, found: fingerprint)
        }
        guard checkpoint.vocabulary == vocabulary else { throw .vocabularyMismatch(checkpoint: path) }
    }
}
