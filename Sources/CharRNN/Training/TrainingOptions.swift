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

/// The defaults of a fresh run, stated once: char-rnn's, which suit tinyshakespeare on a laptop.
/// Every command that trains (and its help text) reads them from here.
public enum TrainingDefaults {
    public static let cell = CellKind.lstm
    public static let gruVariant = GRUVariant.resetBefore
    public static let layerCount = 2
    public static let hiddenSize = 128
    public static let embeddingSize = 64
    public static let dropout = 0.0
    public static let batch = 50
    public static let seq = 50
    public static let validationFraction = 0.05
    /// Between one corpus file and the next: a line break, so that a file whose last line has no
    /// line break does not run into the next file's first line, and files that end with one are
    /// parted by a blank line, the paragraph break the model has seen inside files. It is in the
    /// vocabulary of nearly every text already, so it adds no symbol.
    public static let separator = "\n"
    public static let task = TrainingTask.lm

    public static let learningRate = 2e-3
    public static let clip = 5.0
    public static let epochs = 10
    public static let validationEvery = 200
    public static let saveEvery = 1000
    public static let logEvery = 50
    public static let seed: UInt64 = 1
    public static let outputFolder = "checkpoints"
    /// `--patience` when the budget chose the model: a quarter of the budget without a new best. The
    /// hour's 2×512 run validated its best at step 2,200 of 7,000 and only rose after it (README).
    public static let budgetPatience = Patience.shareOfBudget(0.25)
}

/// When a run whose validation stopped improving ends early (`--patience`); `best` stays.
public enum Patience: Equatable, Sendable {
    /// After this many validations in a row without a new best; 0: never.
    case validations(Int)
    /// After this share of the budget without a new best: of its seconds for `--time`, else of its steps.
    case shareOfBudget(Double)

    /// "5" (validations) or "25%" (of the budget); nil for anything else.
    public init?(argument: String) {
        if argument.hasSuffix("%") {
            guard let percent = Double(argument.dropLast()), percent > 0, percent <= 100 else { return nil }
            self = .shareOfBudget(percent / 100)
        } else {
            guard let count = Int(argument), count >= 0 else { return nil }
            self = .validations(count)
        }
    }

    /// As `--patience` takes it: "5", "25%".
    public var argument: String {
        switch self {
        case .validations(let count): return String(count)
        case .shareOfBudget(let share): return BudgetChoice.decimal(share * 100) + "%"
        }
    }
}

/// Everything `charnn train` takes. Architecture and data-layout fields are optional so that a
/// resumed run takes them from its checkpoint and only the ones given are compared with it
/// (`RunConfiguration` resolves them).
public struct TrainingOptions: Sendable {
    /// Files and folders (walked as `CorpusSources` walks them), `-` for standard input.
    public var corpusPaths: [String]
    /// Shell patterns a file found in a folder must match (any of them); none: every file.
    public var include: [String] = []
    public var separator: String?
    public var tokenization: Tokenization?
    public var normalization: Normalization?
    public var cell: CellKind?
    public var gruVariant: GRUVariant?
    public var layerCount: Int?
    public var hiddenSize: Int?
    public var embeddingSize: Int?
    public var dropout: Double?
    /// One dropout mask per stream and window, the same at every step (nil: a resumed run's, else off).
    public var lockedDropout: Bool?
    /// DropConnect probability on `weight_hh`, one mask per window (nil: a resumed run's, else 0).
    public var weightDropout: Double?
    /// Probability of dropping each symbol's embedding row, one mask per window (nil: a resumed run's, else 0).
    public var embeddingDropout: Double?
    public var batch: Int?
    public var seq: Int?
    public var validationFraction: Double?
    /// Validation text at most this long (`Holdout.limit`).
    public var validationLimit: Int?
    public var task: TrainingTask?
    public var bidirectional: Bool?

    /// nil: `TrainingDefaults.learningRate`, or the budget rule's choice.
    public var learningRate: Double?
    /// nil: constant, or cosine to the end of the budget when the budget rule chooses the model.
    public var schedule: ScheduleKind?
    public var lrDecay = 0.97
    public var lrDecayAfter = 10
    /// nil: none, or the budget rule's warm-up when it chooses the model.
    public var warmupSteps: Int?
    public var clip = TrainingDefaults.clip
    public var weightDecay = 0.0
    /// Decay of the weight average each validation also scores (`WeightAverage`); 0: none; nil: a
    /// resumed run's, or the budget rule's, else none.
    public var averageDecay: Double?
    public var budget = TrainingBudget.epochs(TrainingDefaults.epochs)
    /// `--ensemble`: models trained one after another and mixed (`EnsembleTraining`); nil: 1, or the
    /// budget rule's members.
    public var ensemble: Int?
    /// A fresh language model whose budget is `--time` or `--steps` takes the model flags not given
    /// from `BudgetRule` (the command line sets this; the library's callers opt in).
    public var budgetChoosesModel = false
    public var validationEvery = TrainingDefaults.validationEvery
    public var saveEvery = TrainingDefaults.saveEvery
    public var logEvery = TrainingDefaults.logEvery
    public var seed = TrainingDefaults.seed
    /// When to stop a run that stopped improving; nil: `TrainingDefaults.budgetPatience` when the
    /// budget chose the model, else never.
    public var patience: Patience?
    /// A sample of `sampleLength` characters every this many steps (0: none), reported and kept in
    /// `samples.txt`.
    public var sampleEvery = 0
    public var sampleLength = 200
    /// Threads: replicas splitting this process's streams when they divide evenly, else OpenBLAS
    /// threads; `nil`: every core.
    public var threads: Int?
    public var outputFolder = TrainingDefaults.outputFolder
    /// `nil`: a fresh run; `""`: `latest` in the output folder; otherwise a checkpoint path.
    public var resume: String?
    /// Resume even when the corpus differs from the checkpoint's.
    public var force = false

    public init(corpus paths: [String]) { corpusPaths = paths }

    public init(corpusPath: String) { self.init(corpus: [corpusPath]) }
}

extension TrainingBudget {
    /// The wall-clock budget, when the budget is one.
    public var seconds: Double? {
        if case .seconds(let seconds) = self { return seconds }
        return nil
    }
}

extension TrainingOptions {
    /// The model flags given, which the budget rule keeps.
    var givenModelFlags: GivenModelFlags {
        GivenModelFlags(cell: cell, layerCount: layerCount, hiddenSize: hiddenSize, dropout: dropout, batch: batch,
                        seq: seq, learningRate: learningRate, lockedDropout: lockedDropout,
                        weightDropout: weightDropout, embeddingDropout: embeddingDropout, members: ensemble)
    }

    /// These options with the flags not given taken from `choice`, and a cosine schedule to the end
    /// of the budget unless a schedule was given.
    func taking(_ choice: BudgetChoice) -> TrainingOptions {
        var options = self
        options.cell = cell ?? choice.recipe.cell
        options.layerCount = layerCount ?? choice.recipe.layerCount
        options.hiddenSize = hiddenSize ?? choice.recipe.hiddenSize
        options.batch = batch ?? choice.recipe.batch
        options.seq = seq ?? choice.recipe.seq
        options.dropout = dropout ?? choice.dropout
        options.lockedDropout = lockedDropout ?? choice.lockedDropout
        options.weightDropout = weightDropout ?? (choice.weightDropout > 0 ? choice.weightDropout : nil)
        options.embeddingDropout = embeddingDropout ?? (choice.embeddingDropout > 0 ? choice.embeddingDropout : nil)
        options.learningRate = learningRate ?? choice.learningRate
        options.averageDecay = averageDecay ?? choice.averageDecay
        if schedule == nil {
            options.schedule = .cosine
            options.warmupSteps = warmupSteps ?? choice.warmupSteps
        }
        return options
    }
}

extension LearningRateSchedule {
    /// The schedule `options` name; a cosine decays to the last step, or to the end of `--time`.
    init(_ options: TrainingOptions, totalSteps: Int?) {
        switch options.schedule ?? .constant {
        case .constant: self = .constant
        case .step: self = .stepDecay(factor: options.lrDecay, after: options.lrDecayAfter)
        case .cosine:
            let length: Length = totalSteps.map { .steps($0) } ?? .seconds(options.budget.seconds ?? 0)
            self = .cosine(warmupSteps: options.warmupSteps ?? 0, length: length)
        }
    }
}
