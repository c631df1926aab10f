import ArgumentParser
import CharRNN
import Foundation

struct Train: ParsableCommand {
    /// What a bare `--resume` becomes: the `latest` checkpoint of `--out`.
    static let latestInOut = "@latest"

    static let configuration = CommandConfiguration(
        abstract: "Train a char-RNN on a UTF-8 text file.",
        discussion: """
        Checkpoints go to --out: latest.safetensors.zst (every --save-every steps and at the end) and \
        best.safetensors.zst (whenever validation improves), with metrics.csv and loss.svg beside them. \
        Ctrl-C finishes the current step, saves latest and exits; --resume continues exactly.
        """)

    @Argument(help: "The text to train on (UTF-8; see --bytes).") var corpus: String

    @OptionGroup var model: ModelOptions
    @Option(help: "What to learn: lm (next character), restore-diacritics or restore-case (the original of each character of a degraded text). (default: lm)")
    var task: TrainingTask?
    @Flag(help: "Bidirectional layers (restoration tasks only: a model that sees the future cannot generate text).")
    var bidirectional = false
    @Flag(help: "Byte-level model: the vocabulary is the byte values seen (any file, no UTF-8 needed).") var bytes = false
    @Option(help: "Unicode normalisation before tokenising: none or nfc. (default: none)") var normalize: Normalization?

    @OptionGroup var optimiser: OptimiserOptions

    @Option(help: "Train for this many epochs (default when neither --steps nor --time is given: \(TrainingDefaults.epochs)).") var epochs: Int?
    @Option(help: "Train for this many optimiser steps in total (0: save the initial model and exit).") var steps: Int?
    @Option(help: "Train for this long: 90s, 10m, 1h.") var time: String?

    @Option(help: "Fraction of the corpus, at its end, held out for validation.") var valFrac: Double?
    @Option(help: "Validate every N steps (and at the end); 0: only at the end.") var valEvery = TrainingDefaults.validationEvery
    @Option(help: "Save latest every N steps (and at the end); 0: only at the end.") var saveEvery = TrainingDefaults.saveEvery
    @Option(help: "Progress line every N steps when not on a terminal.") var logEvery = TrainingDefaults.logEvery
    @Option(help: "Stop after N validations in a row without a new best (the best checkpoint stays); 0: never.")
    var patience = 0
    @Option(help: "Print a sample every N steps (above the progress line) and keep it in OUT/samples.txt; 0: never.")
    var sampleEvery = 0
    @Option(help: "Characters per --sample-every sample.") var sampleLength = 200
    @Option(help: "Seed of every random stream (initialisation, dropout).") var seed = TrainingDefaults.seed
    @Option(help: "Threads: replicas splitting the batch's streams when --batch divides evenly, else OpenBLAS threads. (default: every core)") var threads: Int?
    @Option(help: "Output folder for checkpoints, metrics and plot; created when missing.") var out = TrainingDefaults.outputFolder
    @Option(help: ArgumentHelp("Resume from a checkpoint (bare --resume: latest in --out).", valueName: "path"))
    var resume: String?
    @Flag(help: "With --resume: continue even though the corpus differs from the checkpoint's.") var force = false

    func validate() throws {
        if bidirectional, task == .lm || (task == nil && resume == nil) {
            throw ValidationError("--bidirectional: \(TrainingError.bidirectionalLanguageModel.description)")
        }
        if let valFrac { try require(valFrac > 0 && valFrac < 1, "--val-frac must be in (0, 1), got \(valFrac)") }
        try require([epochs != nil, steps != nil, time != nil].filter { $0 }.count <= 1,
                    "give at most one of --epochs, --steps and --time")
        if let epochs { try require(epochs >= 1, "--epochs must be at least 1, got \(epochs)") }
        if let steps { try require(steps >= 0, "--steps must be 0 or positive, got \(steps)") }
        if let time { try require(parseDuration(time) != nil, "--time must be a duration such as 90s, 10m or 1h, got \(time)") }
        try require(valEvery >= 0 && saveEvery >= 0 && logEvery >= 1,
                    "--val-every and --save-every must be 0 or positive, --log-every at least 1")
        try require(patience >= 0 && sampleEvery >= 0 && sampleLength >= 1,
                    "--patience and --sample-every must be 0 or positive, --sample-length at least 1")
        if sampleEvery > 0, let task { try require(task == .lm, "--sample-every samples a language model; drop it for --task \(task.rawValue)") }
        if let threads { try require(threads >= 1 && threads <= 256, "--threads must be in 1...256, got \(threads)") }
    }

    func run() throws {
        var options = TrainingOptions(corpusPath: corpus)
        options.tokenization = bytes ? .bytes : nil
        options.normalization = normalize
        model.apply(to: &options)
        options.validationFraction = valFrac
        options.task = task
        options.bidirectional = bidirectional ? true : nil
        optimiser.apply(to: &options)
        if let steps { options.budget = .steps(steps) }
        if let epochs { options.budget = .epochs(epochs) }
        if let time, let seconds = parseDuration(time) { options.budget = .seconds(seconds) }
        options.validationEvery = valEvery
        options.saveEvery = saveEvery
        options.logEvery = logEvery
        options.seed = seed
        options.patience = patience
        options.sampleEvery = sampleEvery
        options.sampleLength = sampleLength
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
