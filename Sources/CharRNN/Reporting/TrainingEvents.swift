/// What a run is about to do, reported once before the first step.
public struct TrainingPlan: Sendable {
    public var config: ModelConfig
    public var parameterCount: Int
    public var trainingCharacters: Int
    public var validationCharacters: Int
    public var windowsPerEpoch: Int
    public var batch: Int
    public var seq: Int
    public var startStep: Int
    /// Steps to run in total (including those before a resume), when the budget fixes it.
    public var totalSteps: Int?
    public var timeBudget: Double?
    public var resumedFrom: String?
    /// What the budget rule chose and why (`BudgetChoice.summary`), when the budget chose the model.
    public var budgetChoice: String?
    /// The regularisers in force beside dropout, e.g. "DropConnect 0.3 on weight_hh"; empty for none.
    public var regularisers: [String] = []
    /// When the run stops early, e.g. "after 15m without a new best (--patience 25%)"; nil: never.
    public var patience: String?
}

/// A report after each step.
public struct StepProgress: Sendable {
    public var step: Int
    public var totalSteps: Int?
    public var epoch: Double
    public var smoothedLoss: Double
    public var lastValidationLoss: Double?
    public var gradientNorm: Double
    public var learningRate: Double
    public var charsPerSecond: Double
    public var elapsed: Double
    /// Seconds to go, when the budget is known.
    public var remaining: Double?
}

/// How a run ended.
public struct TrainingSummary: Sendable {
    public var steps: Int
    public var bestValidationLoss: Double?
    public var lastValidationLoss: Double?
    public var elapsed: Double
    public var charsPerSecond: Double
    public var latestPath: String
    public var bestPath: String?
    public var metricsPath: String
    public var plotPath: String
    /// This run's metrics rows (validation rows carry `validationLoss`).
    public var history: [MetricsRow]
    /// FNV-1a of the final weights' bits (the same on every rank).
    public var weightChecksum: UInt64
}

/// With `--ema`, a validation scores both the weight average and the weights as trained; the lower
/// is the validation loss, and `best` keeps those weights.
public struct AveragedValidation: Sendable, Equatable {
    public var averaged: Double
    public var asTrained: Double
    public var keepsAverage: Bool { averaged <= asTrained }
}

/// What a run reports as it goes: the plan, each step, validations, saves and the summary.
public enum TrainingEvent: Sendable {
    case began(TrainingPlan)
    case step(StepProgress)
    /// `accuracy` for restoration tasks; with `--ema`, `loss` is the lower of the two in `averaging`.
    case validated(step: Int, loss: Double, improved: Bool, accuracy: RestorationAccuracy?,
                   averaging: AveragedValidation?)
    case saved(path: String)
    /// A sample of the model as it is at `step` (`--sample-every`).
    case sampled(step: Int, text: String)
    /// `--patience` ran out: `reason` says how long validation went without a new best.
    case stoppedEarly(step: Int, reason: String)
    case finished(TrainingSummary)
}
