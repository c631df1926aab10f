import ArgumentParser
import CharRNN

/// The model and window flags of every command that trains (train, compare, bench). Unset flags
/// stay nil: a resumed run takes them from its checkpoint, a fresh one from `TrainingDefaults`.
struct ModelOptions: ParsableArguments {
    @Option(help: "Recurrent cell: \(CellKind.allCases.map(\.rawValue).joined(separator: ", ")). (default: \(TrainingDefaults.cell.rawValue))")
    var cell: CellKind?
    @Option(help: "GRU formulation: reset-before (classic) or reset-after (cuDNN/PyTorch). (default: \(TrainingDefaults.gruVariant.rawValue))")
    var gruVariant: GRUVariant?
    @Option(help: "Stacked recurrent layers. (default: \(TrainingDefaults.layerCount))") var layers: Int?
    @Option(help: "Hidden units per layer. (default: \(TrainingDefaults.hiddenSize))") var hidden: Int?
    @Option(help: "Embedding width, in units. (default: \(TrainingDefaults.embeddingSize))") var embed: Int?
    @Option(help: "Dropout probability between layers and before the decoder, in [0, 1). (default: \(TrainingDefaults.dropout))")
    var dropout: Double?
    @Option(help: "Streams per batch. (default: \(TrainingDefaults.batch))") var batch: Int?
    @Option(help: "Truncated-BPTT window, in characters. (default: \(TrainingDefaults.seq))") var seq: Int?

    func validate() throws {
        if let layers { try require(layers >= 1 && layers <= 64, "--layers must be in 1...64, got \(layers)") }
        if let hidden { try require(hidden >= 1 && hidden <= 16384, "--hidden must be in 1...16384, got \(hidden)") }
        if let embed { try require(embed >= 1 && embed <= 16384, "--embed must be in 1...16384, got \(embed)") }
        if let dropout { try require(dropout >= 0 && dropout < 1, "--dropout must be in [0, 1), got \(dropout)") }
        if let batch { try require(batch >= 1, "--batch must be at least 1, got \(batch)") }
        if let seq { try require(seq >= 1, "--seq must be at least 1, got \(seq)") }
    }

    /// Copies the flags given into `options`.
    func apply(to options: inout TrainingOptions) {
        options.cell = cell
        options.gruVariant = gruVariant
        options.layerCount = layers
        options.hiddenSize = hidden
        options.embeddingSize = embed
        options.dropout = dropout
        options.batch = batch
        options.seq = seq
    }

    /// The configuration of a fresh run with these flags.
    func freshRun() throws -> RunConfiguration {
        var options = TrainingOptions(corpus: [])
        apply(to: &options)
        return try RunConfiguration(options: options)
    }
}

/// The optimiser flags of every command that trains from a corpus.
struct OptimiserOptions: ParsableArguments {
    @Option(help: "Learning rate. (default: \(TrainingDefaults.learningRate), or the budget rule's with --time/--steps)")
    var lr: Double?
    @Option(help: "Learning-rate schedule: constant, step (×--lr-decay each epoch after --lr-decay-after) or cosine (with --warmup; to the last step, or to the end of --time). (default: constant, or cosine when --time/--steps chooses the model)")
    var schedule: ScheduleKind?
    @Option(help: "Step schedule: factor per epoch.") var lrDecay = 0.97
    @Option(help: "Step schedule: first epoch after which the rate decays.") var lrDecayAfter = 10
    @Option(help: "Cosine schedule: linear warm-up, in steps. (default: 0, or 2% of the expected steps when --time/--steps chooses the model)")
    var warmup: Int?
    @Option(help: "Clip gradients to this global L2 norm; 0 disables.") var clip = TrainingDefaults.clip
    @Option(help: "Decoupled weight decay (AdamW); 0 disables.") var weightDecay = 0.0
    @Option(help: "Also validate an exponential moving average of the weights with this decay per step, in [0, 1): 0.995 averages about the last 200 steps; each validation keeps the lower of it and the weights as trained; 0: off. (default: off, or \(BudgetRule.weightAverageDecay) when --time/--steps chooses the model)")
    var ema: Double?

    func validate() throws {
        if let lr { try require(lr > 0 && lr.isFinite, "--lr must be a positive number, got \(lr)") }
        try require(clip >= 0, "--clip must be 0 (off) or positive, got \(clip)")
        try require(weightDecay >= 0, "--weight-decay must be 0 or positive, got \(weightDecay)")
        if let ema { try require(ema >= 0 && ema < 1, "--ema must be in [0, 1) (0: off), e.g. 0.995, got \(ema)") }
        try require(lrDecay > 0 && lrDecay <= 1, "--lr-decay must be in (0, 1], got \(lrDecay)")
        try require(lrDecayAfter >= 0 && (warmup ?? 0) >= 0, "--lr-decay-after and --warmup must be 0 or positive")
    }

    func apply(to options: inout TrainingOptions) {
        (options.learningRate, options.schedule, options.clip, options.weightDecay) = (lr, schedule, clip, weightDecay)
        (options.lrDecay, options.lrDecayAfter, options.warmupSteps) = (lrDecay, lrDecayAfter, warmup)
        options.averageDecay = ema
    }
}

/// The budget of each model of a command that trains several in turn (compare, probe): equal
/// wall-clock time by default, or equal steps.
struct BudgetOptions: ParsableArguments {
    static let defaultTime = "5m"

    @Option(help: "Training budget per model: 90s, 5m, 1h. (default: \(BudgetOptions.defaultTime))") var time: String?
    @Option(help: "Training budget per model, in steps (instead of --time).") var steps: Int?

    func validate() throws {
        guard time == nil || steps == nil else { throw ValidationError("give --time or --steps, not both") }
        if let time, parseDuration(time) == nil { throw ValidationError("--time must be a duration such as 90s, 5m or 1h, got \(time)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
    }

    var budget: TrainingBudget {
        steps.map { .steps($0) } ?? .seconds(parseDuration(time ?? BudgetOptions.defaultTime)!)
    }
}
