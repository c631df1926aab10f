import ArgumentParser
import CharRNN
import Foundation

struct Train: ParsableCommand {
    /// What a bare `--resume` becomes: the `latest` checkpoint of `--out`.
    static let latestInOut = "@latest"

    static let configuration = CommandConfiguration(
        abstract: "Train a char-RNN on UTF-8 text: files, folders or standard input.",
        discussion: """
        Several files and folders make one corpus: folders are walked recursively in sorted path \
        order, passing over hidden files and files that are not text; each file's last --val-frac \
        is held out for validation. `charnn train -` reads standard input; a stream is fingerprinted \
        as it is read, so --resume with - needs the same text piped again (or --force).

        Checkpoints go to --out: latest.safetensors.zst (every --save-every steps and at the end) and \
        best.safetensors.zst (whenever validation improves), with metrics.csv and loss.svg beside them. \
        Ctrl-C finishes the current step, saves latest and exits; --resume continues exactly.
        """)

    @Argument(help: ArgumentHelp("Text files and folders to train on, or - for standard input (UTF-8; see --bytes).",
                                 valueName: "corpus"))
    var corpus: [String] = []
    @Option(help: ArgumentHelp("Take from folders only the files whose name matches this shell pattern; repeat for several.",
                               valueName: "pattern"))
    var include: [String] = []
    @Option(help: "Text put between one file and the next. (default: one line break)") var separator: String?

    @OptionGroup var model: ModelOptions
    @Option(help: "What to learn: lm (next character), restore-diacritics or restore-case (the original of each character of a degraded text). (default: lm)")
    var task: TrainingTask?
    @Flag(help: "Bidirectional layers (restoration tasks only: a model that sees the future cannot generate text).")
    var bidirectional = false
    @Flag(help: "Byte-level model: the vocabulary is the byte values seen (any file, no UTF-8 needed).") var bytes = false
    @Option(help: "Unicode normalisation before tokenising: none or nfc. (default: none)") var normalize: Normalization?

    @Flag(inversion: .prefixedNo,
          help: "Variational dropout: one --dropout mask per stream and window, the same at every time step, instead of one per character. (default: off, or on when --time/--steps chooses a dropout)")
    var lockedDropout: Bool?
    @Option(help: "DropConnect on the recurrent weights (weight_hh): the probability of zeroing each, one mask per window, in [0, 1). (default: 0, or 0.5 when --time/--steps chooses the model for a small corpus seen many times)")
    var weightDropout: Double?
    @Option(help: "Embedding dropout: the probability of dropping each symbol's embedding row (all its occurrences), one mask per window, in [0, 1). (default: 0, or 0.1 when --time/--steps chooses the model for a small corpus seen many times)")
    var embedDropout: Double?

    @OptionGroup var optimiser: OptimiserOptions

    @Option(help: "Train for this many epochs (default when neither --steps nor --time is given: \(TrainingDefaults.epochs)).") var epochs: Int?
    @Option(help: "Train for this many optimiser steps in total (0: save the initial model and exit).") var steps: Int?
    @Option(help: "Train for this long: 90s, 10m, 1h. With --time or --steps the model flags not given (--cell, --layers, --hidden, --dropout, --lr, --batch, --seq) are chosen for the budget, the corpus and this machine's measured speed; the plan line says what and why.")
    var time: String?
    @Flag(help: "With --time or --steps: print every model the budget rule considered, with its speed and verdict.")
    var explain = false
    @Option(help: "Train N models one after another (seeds --seed, --seed + 1, …; folders OUT/member-1, …) and mix them: sample and eval read OUT/ensemble.json, the mean of their probabilities. They share --time; with --steps or --epochs each trains that many. (default: 1, or one member per 30 minutes of a --time of an hour or more, at most \(BudgetRule.maximumMembers); those chosen members are an LSTM and a GRU in turn unless --cell is given)")
    var ensemble: Int?

    @Option(help: "Fraction of each file, at its end, held out for validation. (default: \(TrainingDefaults.validationFraction))")
    var valFrac: Double?
    @Option(help: "At most this many validation characters, each file keeping its share (for very large corpora). (default: all)")
    var valChars: Int?
    @Option(help: "Validate every N steps (and at the end); 0: only at the end.") var valEvery = TrainingDefaults.validationEvery
    @Option(help: "Save latest every N steps (and at the end); 0: only at the end.") var saveEvery = TrainingDefaults.saveEvery
    @Option(help: "Progress line every N steps when not on a terminal.") var logEvery = TrainingDefaults.logEvery
    @Option(help: ArgumentHelp("Stop after N validations in a row without a new best, or after P% of the budget (--time, else the steps) and two validations without one; the best checkpoint stays. 0: never. (default: 25% when --time or --steps chooses the model, else never)", valueName: "N|P%"))
    var patience: String?
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
        try require(!corpus.isEmpty, "give the text to train on: one or more files or folders, or - for standard input")
        try require(corpus.filter { $0 == SourceFile.standardInput }.count <= 1, "- (standard input) can be given only once")
        if let valChars { try require(valChars >= 1, "--val-chars must be at least 1, got \(valChars)") }
        if let valFrac { try require(valFrac > 0 && valFrac < 1, "--val-frac must be in (0, 1), got \(valFrac)") }
        try require([epochs != nil, steps != nil, time != nil].filter { $0 }.count <= 1,
                    "give at most one of --epochs, --steps and --time")
        if let epochs { try require(epochs >= 1, "--epochs must be at least 1, got \(epochs)") }
        if let steps { try require(steps >= 0, "--steps must be 0 or positive, got \(steps)") }
        if let time { try require(parseDuration(time) != nil, "--time must be a duration such as 90s, 10m or 1h, got \(time)") }
        try require(valEvery >= 0 && saveEvery >= 0 && logEvery >= 1,
                    "--val-every and --save-every must be 0 or positive, --log-every at least 1")
        try require(sampleEvery >= 0 && sampleLength >= 1, "--sample-every must be 0 or positive, --sample-length at least 1")
        if let patience {
            try require(Patience(argument: patience) != nil,
                        "--patience takes a count of validations (5) or a share of the budget (25%), got \(patience)")
        }
        if sampleEvery > 0, let task { try require(task == .lm, "--sample-every samples a language model; drop it for --task \(task.rawValue)") }
        if let embedDropout { try require(embedDropout >= 0 && embedDropout < 1, "--embed-dropout must be in [0, 1), got \(embedDropout)") }
        if let weightDropout { try require(weightDropout >= 0 && weightDropout < 1, "--weight-dropout must be in [0, 1), got \(weightDropout)") }
        if let threads { try require(threads >= 1 && threads <= 256, "--threads must be in 1...256, got \(threads)") }
        if let ensemble {
            try require(ensemble >= 1 && ensemble <= 16, "--ensemble must be in 1...16, got \(ensemble)")
            try require(ensemble == 1 || resume == nil,
                        "--resume continues one model; resume a member with --out OUT/member-K --resume instead of --ensemble")
            try require(ensemble == 1 || task == nil || task == .lm, "--ensemble mixes language models; drop it for --task")
        }
    }

    func run() throws {
        var options = TrainingOptions(corpus: corpus)
        options.include = include
        options.separator = separator
        options.validationLimit = valChars
        options.tokenization = bytes ? .bytes : nil
        options.normalization = normalize
        model.apply(to: &options)
        options.validationFraction = valFrac
        options.task = task
        options.bidirectional = bidirectional ? true : nil
        options.lockedDropout = lockedDropout
        options.weightDropout = weightDropout
        options.embeddingDropout = embedDropout
        optimiser.apply(to: &options)
        if let steps { options.budget = .steps(steps) }
        if let epochs { options.budget = .epochs(epochs) }
        if let time, let seconds = parseDuration(time) { options.budget = .seconds(seconds) }
        options.budgetChoosesModel = steps != nil || time != nil
        options.ensemble = ensemble
        options.validationEvery = valEvery
        options.saveEvery = saveEvery
        options.logEvery = logEvery
        options.seed = seed
        options.patience = patience.flatMap(Patience.init(argument:))
        options.sampleEvery = sampleEvery
        options.sampleLength = sampleLength
        options.threads = threads
        options.outputFolder = out
        options.resume = resume == Train.latestInOut ? "" : resume
        options.force = force

        // Under `mpirun -np N` this process is one of N ranks; otherwise it trains alone.
        let group = ProcessGroup.fromEnvironment()
        do {
            if group.size > 1, corpus.contains(SourceFile.standardInput) {
                throw CLIError("- (standard input) reaches only rank 0 under mpirun; pass the corpus as files")
            }
            let bar = LoadingBar(interactive: group.isLeader && isatty(STDERR_FILENO) == 1)
            let trainer = try { defer { bar.finish() }
                return try Trainer(options: options, group: group, loading: bar.update)
            }()
            let printer = ProgressPrinter(plainEvery: logEvery)
            if group.isLeader { notes(trainer).forEach(printer.note) }
            if explain, group.isLeader {
                if let choice = trainer.budgetChoice {
                    printer.note("budget rule: candidates considered")
                    choice.explanation.forEach { printer.note("  " + $0) }
                } else {
                    printer.note("budget rule: not applied (\(budgetRuleSilence))")
                }
            }
            Interruption.install()
            if trainer.ensembleMembers > 1 {
                if group.size > 1 { throw CLIError("--ensemble trains in one process; run it without mpirun") }
                let summary = try EnsembleTraining(trainer: trainer).run(note: printer.note, report: printer.handle)
                let members = summary.memberValidationLosses.map { String(format: "%.4f", $0) }.joined(separator: ", ")
                printer.note(String(format: "ensemble of %d: validation loss %.4f nats/char, %.4f bits/char (members alone: %@)",
                                    summary.memberValidationLosses.count, summary.validationLoss,
                                    summary.validationLoss / log(2.0), members))
                printer.note("sample and eval read \(summary.manifestPath); \(summary.bestPath) is its best member alone "
                             + "(\(summary.bestMemberPath)), for the commands that run one model")
                return
            }
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

    /// Why the budget rule chose nothing, for `--explain`.
    private var budgetRuleSilence: String {
        if steps == nil, time == nil { return "it needs --time or --steps" }
        if resume != nil { return "a resumed run keeps its checkpoint's model" }
        if let task, task != .lm { return "it is fitted on language models, not --task \(task.rawValue)" }
        return "every model flag is given"
    }

    /// What the user should know about the corpus before training starts.
    private func notes(_ trainer: Trainer) -> [String] {
        var notes: [String] = []
        let corpus = trainer.corpus
        if corpus.sources.count > 1 {
            notes.append("corpus: \(corpus.sources.count) files, \(corpus.byteCount) bytes (charnn info lists them)")
        }
        let surprising = trainer.skippedFiles.filter { $0.reason != .hidden && $0.reason != .notIncluded }
        if !surprising.isEmpty {
            let shown = surprising.prefix(3).map { "\($0.path) (\($0.reason.rawValue))" }.joined(separator: ", ")
            notes.append("passed over \(surprising.count) file(s): \(shown)\(surprising.count > 3 ? ", …" : "")")
        }
        let validation = trainer.validationCharacters
        if valChars == nil, validation > Train.largeValidation {
            notes.append("validating on all \(validation) held-out characters each time; "
                         + "bound them with --val-chars (e.g. --val-chars 1000000)")
        }
        return notes
    }

    /// Validation characters above which a run without --val-chars is told of the option.
    static let largeValidation = 5_000_000
}
