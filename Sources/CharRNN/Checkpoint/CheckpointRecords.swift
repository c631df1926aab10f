/// The `config` metadata of a checkpoint: exactly these keys (`gru_variant` for GRUs only).
/// `bidirectional` and `task` are always written; a checkpoint without them is a unidirectional
/// language model.
struct ConfigRecord: Codable, Equatable {
    var cell: CellKind
    var gruVariant: GRUVariant?
    var layers: Int
    var hidden: Int
    var embed: Int
    var dropout: Double
    var tokenizer: Tokenization
    var normalize: Normalization
    var bidirectional: Bool?
    var task: TrainingTask?

    enum CodingKeys: String, CodingKey {
        case cell, gruVariant = "gru_variant", layers, hidden, embed, dropout, tokenizer, normalize, bidirectional, task
    }
}

extension Tokenization: Codable {}
extension Normalization: Codable {}

/// The `training` metadata of a checkpoint: everything `--resume` needs to continue exactly.
public struct TrainingRecord: Codable, Equatable, Sendable {
    /// Optimiser steps completed.
    public var step: Int
    /// Epochs completed.
    public var epoch: Int
    /// The next training window (0 ..< windowsPerEpoch): the data position.
    public var window: Int
    public var windowsPerEpoch: Int
    public var batch: Int
    public var seq: Int
    public var validationFraction: Double
    /// `--val-chars`; nil: no bound (and in checkpoints older than the option).
    public var validationLimit: Int?
    /// Between corpus files; nil in checkpoints older than several files, which used one file.
    public var separator: String?
    public var seed: UInt64
    /// Seed of the dropout masks (which are keyed by it, the step and the position).
    public var dropoutSeed: UInt64
    public var learningRate: Double
    public var schedule: String
    public var lrDecay: Double
    public var lrDecayAfter: Int
    public var warmupSteps: Int
    public var totalSteps: Int?
    public var clip: Double
    public var adam: Adam.Settings
    public var bestValidationLoss: Double?
    public var corpus: CorpusFingerprint
    /// `--locked-dropout`; nil in checkpoints older than the option (which dropped per position).
    public var lockedDropout: Bool?
    /// `--weight-dropout`; nil in checkpoints older than the option.
    public var weightDropout: Double?
    /// `--embed-dropout`; nil in checkpoints older than the option.
    public var embeddingDropout: Double?
    /// `--ema`; nil in checkpoints of runs without a weight average (and older than the option).
    public var averageDecay: Double?

    /// What makes the record impossible, if anything: it would not resume a run.
    var inconsistency: String? {
        if step < 0 || epoch < 0 { return "negative step or epoch" }
        if batch < 1 || seq < 1 { return "batch and seq must be at least 1" }
        if windowsPerEpoch < 1 || window < 0 || window >= windowsPerEpoch { return "window outside the epoch" }
        if !(validationFraction > 0 && validationFraction < 1) { return "val_frac outside (0, 1)" }
        if let limit = validationLimit, limit < 1 { return "val_chars must be at least 1" }
        if !(learningRate > 0) || !learningRate.isFinite { return "lr must be positive" }
        if !(clip >= 0) || lrDecayAfter < 0 || warmupSteps < 0 || (totalSteps ?? 0) < 0 { return "negative optimiser setting" }
        if let best = bestValidationLoss, !(best >= 0) { return "best_val_loss must be a non-negative number" }
        if let p = weightDropout, !(p >= 0 && p < 1) { return "weight_dropout outside [0, 1)" }
        if let p = embeddingDropout, !(p >= 0 && p < 1) { return "embed_dropout outside [0, 1)" }
        if let d = averageDecay, !(d > 0 && d < 1) { return "ema outside (0, 1)" }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case step, epoch, window
        case windowsPerEpoch = "windows_per_epoch"
        case batch, seq
        case validationFraction = "val_frac"
        case validationLimit = "val_chars"
        case separator
        case seed
        case dropoutSeed = "dropout_seed"
        case learningRate = "lr"
        case schedule
        case lrDecay = "lr_decay"
        case lrDecayAfter = "lr_decay_after"
        case warmupSteps = "warmup_steps"
        case totalSteps = "total_steps"
        case clip, adam
        case bestValidationLoss = "best_val_loss"
        case corpus
        case lockedDropout = "locked_dropout"
        case weightDropout = "weight_dropout"
        case embeddingDropout = "embed_dropout"
        case averageDecay = "ema"
    }
}
