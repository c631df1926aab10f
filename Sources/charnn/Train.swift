import ArgumentParser
import CharRNN
import Foundation

struct Train: ParsableCommand {
    /// What a bare `--resume` becomes: the `latest` checkpoint of `--out`.
    static let latestInOut = "@latest"

    static let configuration = CommandConfiguration(
        abstract: "Train a char-RNN on a UTF-8 text file.",
        discussion: """
        Checkpoints go to --out: latest.safetensors.zst (every --save-every steps and at the end) and
        best.safetensors.zst (whenever validation improves), with metrics.csv and loss.svg beside them.
        Ctrl-C finishes the current step, saves latest and exits; --resume continues exactly.
        """)

    @Argument(help: "The text to train on (UTF-8; see --bytes).") var corpus: String

    @Option(help: "Recurrent cell: lstm or gru. (default: lstm)") var cell: CellKind?
    @Option(help: "GRU formulation: reset-before (classic) or reset-after (cuDNN/PyTorch). (default: reset-before)")
    var gruVariant: GRUVariant?
    @Option(help: "Stacked recurrent layers. (default: 2)") var layers: Int?
    @Option(help: "Hidden units per layer. (default: 128)") var hidden: Int?
    @Option(help: "Embedding width, in units. (default: 64)") var embed: Int?
    @Option(help: "Dropout probability between layers and before the decoder, in [0, 1). (default: 0)") var dropout: Double?
    @Option(help: "Streams per batch. (default: 50)") var batch: Int?
    @Option(help: "Truncated-BPTT window, in characters. (default: 50)") var seq: Int?
    @Option(help: "What to learn: lm (next character), restore-diacritics or restore-case (the original of each character of a degraded text). (default: lm)")
    var task: TrainingTask?
    @Flag(help: "Bidirectional layers (restoration tasks only: a model that sees the future cannot generate text).")
    var bidirectional = false
    @Flag(help: "Byte-level model: the vocabulary is the byte values seen (any file, no UTF-8 needed).") var bytes = false
    @Option(help: "Unicode normalisation before tokenising: none or nfc. (default: none)") var normalize: Normalization?

    @Option(help: "Learning rate.") var lr = 2e-3
    @Option(help: "Learning-rate schedule: constant, step (×--lr-decay each epoch after --lr-decay-after) or cosine (with --warmup).")
    var schedule = ScheduleKind.constant
    @Option(help: "Step schedule: factor per epoch.") var lrDecay = 0.97
    @Option(help: "Step schedule: first epoch after which the rate decays.") var lrDecayAfter = 10
    @Option(help: "Cosine schedule: linear warm-up, in steps.") var warmup = 0
    @Option(help: "Clip gradients to this global L2 norm; 0 disables.") var clip = 5.0
    @Option(help: "Decoupled weight decay (AdamW); 0 disables.") var weightDecay = 0.0

    @Option(help: "Train for this many epochs (default when neither --steps nor --time is given: 10).") var epochs: Int?
    @Option(help: "Train for this many optimiser steps in total (0: save the initial model and exit).") var steps: Int?
    @Option(help: "Train for this long: 90s, 10m, 1h.") var time: String?

    @Option(help: "Fraction of the corpus, at its end, held out for validation.") var valFrac: Double?
    @Option(help: "Validate every N steps (and at the end); 0: only at the end.") var valEvery = 200
    @Option(help: "Save latest every N steps (and at the end); 0: only at the end.") var saveEvery = 1000
    @Option(help: "Progress line every N steps when not on a terminal.") var logEvery = 50
    @Option(help: "Seed of every random stream (initialisation, dropout).") var seed: UInt64 = 1
    @Option(help: "Threads: replicas splitting the batch's streams when --batch divides evenly, else OpenBLAS threads. (default: every core)") var threads: Int?
    @Option(help: "Output folder for checkpoints, metrics and plot; created when missing.") var out = "checkpoints"
    @Option(help: ArgumentHelp("Resume from a checkpoint (bare --resume: latest in --out).", valueName: "path"))
    var resume: String?
    @Flag(help: "With --resume: continue even though the corpus differs from the checkpoint's.") var force = false

    func validate() throws {
        if bidirectional, task == .lm || (task == nil && resume == nil) {
            throw ValidationError("--bidirectional: \(TrainingError.bidirectionalLanguageModel.description)")
        }
        func require(_ ok: Bool, _ message: String) throws {
            if !ok { throw ValidationError(message) }
        }
        try require(lr > 0 && lr.isFinite, "--lr must be a positive number, got \(lr)")
        if let layers { try require(layers >= 1 && layers <= 64, "--layers must be in 1...64, got \(layers)") }
        if let hidden { try require(hidden >= 1 && hidden <= 16384, "--hidden must be in 1...16384, got \(hidden)") }
        if let embed { try require(embed >= 1 && embed <= 16384, "--embed must be in 1...16384, got \(embed)") }
        if let dropout { try require(dropout >= 0 && dropout < 1, "--dropout must be in [0, 1), got \(dropout)") }
        if let batch { try require(batch >= 1, "--batch must be at least 1, got \(batch)") }
        if let seq { try require(seq >= 1, "--seq must be at least 1, got \(seq)") }
        if let valFrac { try require(valFrac > 0 && valFrac < 1, "--val-frac must be in (0, 1), got \(valFrac)") }
        try require(clip >= 0, "--clip must be 0 (off) or positive, got \(clip)")
        try require(weightDecay >= 0, "--weight-decay must be 0 or positive, got \(weightDecay)")
        try require(lrDecay > 0 && lrDecay <= 1, "--lr-decay must be in (0, 1], got \(lrDecay)")
        try require(lrDecayAfter >= 0 && warmup >= 0, "--lr-decay-after and --warmup must be 0 or positive")
        try require([epochs != nil, steps != nil, time != nil].filter { $0 }.count <= 1,
                    "give at most one of --epochs, --steps and --time")
        if let epochs { try require(epochs >= 1, "--epochs must be at least 1, got \(epochs)") }
        if let steps { try require(steps >= 0, "--steps must be 0 or positive, got \(steps)") }
        if let time { try require(parseDuration(time) != nil, "--time must be a duration such as 90s, 10m or 1h, got \(time)") }
        try require(valEvery >= 0 && saveEvery >= 0 && logEvery >= 1,
                    "--val-every and --save-every must be 0 or positive, --log-every at least 1")
        if let threads { try require(threads >= 1 && threads <= 256, "--threads must be in 1...256, got \(threads)") }
    }

    func run() throws {
        var options = TrainingOptions(corpusPath: corpus)
        options.tokenization = bytes ? .bytes : nil
        options.normalization = normalize
        options.cell = cell
        options.gruVariant = gruVariant
        options.layers = layers
        options.hidden = hidden
        options.embed = embed
        options.dropout = dropout
        options.batch = batch
        options.seq = seq
        options.validationFraction = valFrac
        options.task = task
        options.bidirectional = bidirectional ? true : nil
        options.learningRate = lr
        options.schedule = schedule
        options.lrDecay = lrDecay
        options.lrDecayAfter = lrDecayAfter
        options.warmupSteps = warmup
        options.clip = clip
        options.weightDecay = weightDecay
        if let steps { options.budget = .steps(steps) }
        if let epochs { options.budget = .epochs(epochs) }
        if let time, let seconds = parseDuration(time) { options.budget = .seconds(seconds) }
        options.validationEvery = valEvery
        options.saveEvery = saveEvery
        options.logEvery = logEvery
        options.seed = seed
        options.threads = threads
        options.outputFolder = out
        options.resume = resume == Train.latestInOut ? "" : resume
        options.force = force

        // Under `mpirun -np N` this process is one of N ranks; otherwise it trains alone.
        let group = ProcessGroup.fromEnvironment()
        do {
            let trainer = try Trainer(options: options, group: group)
            let printer = ProgressPrinter(plainEvery: logEvery)
            Interruption.install()
            if group.size > 1, group.isLeader {
                printer.note("data-parallel over \(group.size) ranks: \(trainer.streamsPerRank) streams each")
            }
            let summary = try trainer.run(report: group.isLeader ? printer.handle : { _ in })
            if group.size > 1, group.isLeader {
                printer.note("weights identical on all \(group.size) ranks (checksum \(String(summary.weightChecksum, radix: 16)))")
            }
            group.finish()
        } catch {
            let exit = fail(error)
            // An error on some ranks only would leave the others waiting in a collective.
            if group.size > 1 { group.abort(code: exit.rawValue) }
            throw exit
        }
    }
}
