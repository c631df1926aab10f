import Foundation

/// When training stops.
public enum TrainingBudget: Equatable, Sendable {
    case epochs(Int)
    case steps(Int)
    case seconds(Double)
}

/// The learning-rate schedule as the command line names it.
public enum ScheduleKind: String, Sendable, CaseIterable {
    case constant, step, cosine
}

/// Everything `charnn train` takes. Architecture and data-layout fields are optional so that a
/// resumed run takes them from its checkpoint and only the ones given are compared with it.
public struct TrainingOptions: Sendable {
    public var corpusPath: String
    public var tokenization: Tokenization?
    public var normalization: Normalization?
    public var cell: CellKind?
    public var gruVariant: GRUVariant?
    public var layers: Int?
    public var hidden: Int?
    public var embed: Int?
    public var dropout: Double?
    public var batch: Int?
    public var seq: Int?
    public var validationFraction: Double?
    public var task: TrainingTask?
    public var bidirectional: Bool?

    public var learningRate = 2e-3
    public var schedule = ScheduleKind.constant
    public var lrDecay = 0.97
    public var lrDecayAfter = 10
    public var warmupSteps = 0
    public var clip = 5.0
    public var weightDecay = 0.0
    public var budget = TrainingBudget.epochs(10)
    public var validationEvery = 200
    public var saveEvery = 1000
    public var logEvery = 50
    public var seed: UInt64 = 1
    /// OpenBLAS threads; `nil`: one below 512 hidden units (a second thread costs more than it
    /// brings at those shapes), else every core.
    public var threads: Int?
    public var outputFolder = "checkpoints"
    /// `nil`: a fresh run; `""`: `latest` in the output folder; otherwise a checkpoint path.
    public var resume: String?
    /// Resume even when the corpus differs from the checkpoint's.
    public var force = false

    public init(corpusPath: String) { self.corpusPath = corpusPath }

    /// Defaults of a fresh run: char-rnn's, which suit tinyshakespeare on a laptop.
    public static let defaultConfig = (cell: CellKind.lstm, gruVariant: GRUVariant.resetBefore, layers: 2,
                                       hidden: 128, embed: 64, dropout: 0.0, batch: 50, seq: 50,
                                       validationFraction: 0.05)
}
