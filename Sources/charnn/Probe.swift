import ArgumentParser
import CharRNN
import Foundation

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how far back each cell remembers: LSTM against GRU.",
        discussion: """
        long-range: synthetic lines in which a key must be recalled after a gap of D characters.
        brackets:   closing brackets of real source code, by distance to their opener.
        plot:       long-range runs' probe.csv files redrawn in one plot (say, two --seq windows).
        """,
        subcommands: [LongRange.self, Brackets.self, Plot.self])
}

/// The flags both probes share besides the model and optimiser groups.
struct ProbeOptions: ParsableArguments {
    @Option(help: "Cells to train, comma-separated, among \(CellKind.allCases.map(\.rawValue).joined(separator: ", ")).") var cells = "lstm,gru"
    @Flag(help: "Widen the GRU to the LSTM's parameter count: equal parameters instead of equal width.")
    var sameParams = false
    @OptionGroup var budget: BudgetOptions
    @Option(help: "Seed of every run: weights, data order and the synthetic text.") var seed = TrainingDefaults.seed
    @Option(help: "Threads, as for train. (default: every core)") var threads: Int?

    /// `--cells` as cell kinds, or nil when it is not a list of distinct known cells.
    var cellKinds: [CellKind]? {
        let kinds = cells.split(separator: ",").map { CellKind(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
        guard !kinds.isEmpty, kinds.allSatisfy({ $0 != nil }), Set(kinds).count == kinds.count else { return nil }
        return kinds.compactMap { $0 }
    }

    func validate() throws {
        guard cellKinds != nil else {
            throw ValidationError("--cells must list distinct cells among \(CellKind.allCases.map(\.rawValue).joined(separator: ", ")), comma-separated, got '\(cells)'")
        }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be in 1...256, got \(threads)") }
    }

    /// A probe names its cells with --cells: the single-model --cell would contradict them.
    static func refuseSingleCell(_ model: ModelOptions) throws {
        guard model.cell == nil else { throw ValidationError("--cell: a probe trains every cell of --cells; drop --cell") }
    }

    /// The training options every run of a probe starts from.
    func template(corpus: String, model: ModelOptions, optimiser: OptimiserOptions) -> TrainingOptions {
        var options = TrainingOptions(corpus: [corpus])
        model.apply(to: &options)
        optimiser.apply(to: &options)
        options.budget = budget.budget
        options.seed = seed
        options.threads = threads
        return options
    }
}

extension Probe {
    struct LongRange: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "long-range",
            abstract: "Train each cell on synthetic lines 'K, D filler characters, =, K' and score the recalled K.",
            discussion: "For each gap D, OUT/gap-D/text.txt is written (seeded), every cell trains on it from "
                + "scratch with the same seed and budget, and is scored on the held-out lines: how often its most "
                + "likely character after '=' is the line's key (chance: 1 in 8). Prints a table; writes "
                + "OUT/probe.csv and OUT/probe.svg (key accuracy against the gap, chance and the --seq window drawn).")

        @OptionGroup var probe: ProbeOptions
        @Option(help: "Gaps D to probe, comma-separated, in characters.") var gaps = "10,25,50,100,200,400"
        @Option(help: "Characters of training lines per gap.") var chars = 2_000_000
        @Option(help: "Held-out lines scored per gap (more when one validation window needs them).") var heldoutLines = 1000
        @OptionGroup var model: ModelOptions
        @OptionGroup var optimiser: OptimiserOptions
        @Option(help: "Output folder: texts and runs per gap, probe.csv, probe.svg.") var out = "probe"

        /// `--gaps`, ascending, or nil when it is not a list of distinct whole numbers in 1...100,000.
        var gapList: [Int]? {
            let values = gaps.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil && (1...100_000).contains($0!) }),
                  Set(values).count == values.count else { return nil }
            return values.compactMap { $0 }.sorted()
        }

        func validate() throws {
            try ProbeOptions.refuseSingleCell(model)
            guard gapList != nil else {
                throw ValidationError("--gaps must list distinct whole numbers in 1...100000, comma-separated, such as 10,25,50; got '\(gaps)'")
            }
            guard chars >= 1 else { throw ValidationError("--chars must be at least 1, got \(chars)") }
            guard heldoutLines >= 1 else { throw ValidationError("--heldout-lines must be at least 1, got \(heldoutLines)") }
        }

        func run() throws {
            let experiment = LongRangeProbe(
                template: probe.template(corpus: "", model: model, optimiser: optimiser),
                cells: probe.cellKinds!, sameParameters: probe.sameParams, gaps: gapList!,
                trainingCharacters: chars, heldOutLines: heldoutLines, outputFolder: out)
            do {
                let results = try experiment.run(announce: announce, report: ProgressPrinter().handle)
                print(LongRangeProbe.table(results))
                let csv = (out as NSString).appendingPathComponent("probe.csv")
                let plot = (out as NSString).appendingPathComponent("probe.svg")
                try AtomicFile.write(Array(LongRangeProbe.csv(results).utf8), to: csv)
                try AtomicFile.write(Array(LongRangeProbe.svg(results, title: LongRangeProbe.title(results)).utf8), to: plot)
                print("results: \(csv), plot: \(plot)")
            } catch {
                throw fail(error)
            }
        }
    }

    struct Brackets: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train each cell on source code and score its closing brackets by distance to their opener.",
            discussion: "Every cell trains on CORPUS with the same seed and budget; on the held-out part, at each ), ] "
                + "or } whose opener is also held out (comments and string literals skipped, C-style), the closer "
                + "the model ranks first among the three is compared with the right one. Prints the models' table "
                + "and accuracy by distance; writes OUT/brackets.csv and OUT/brackets.svg.")

        @Argument(help: "Source code to train on (C-family syntax).") var corpus: String
        @OptionGroup var probe: ProbeOptions
        @Option(help: "Fraction of the corpus, at its end, held out for validation and scoring. (default: \(TrainingDefaults.validationFraction))")
        var valFrac: Double?
        @OptionGroup var model: ModelOptions
        @OptionGroup var optimiser: OptimiserOptions
        @Option(help: "Output folder: one run per model, brackets.csv, brackets.svg.") var out = "probe/brackets"

        func validate() throws {
            try ProbeOptions.refuseSingleCell(model)
            if let valFrac, !(valFrac > 0 && valFrac < 1) { throw ValidationError("--val-frac must be in (0, 1), got \(valFrac)") }
        }

        func run() throws {
            var template = probe.template(corpus: corpus, model: model, optimiser: optimiser)
            template.validationFraction = valFrac
            let experiment = BracketProbe(template: template, cells: probe.cellKinds!, sameParameters: probe.sameParams,
                                          outputFolder: out)
            do {
                let report = try experiment.run(announce: announce, report: ProgressPrinter().handle)
                print(report.table)
                let csv = (out as NSString).appendingPathComponent("brackets.csv")
                let plot = (out as NSString).appendingPathComponent("brackets.svg")
                try AtomicFile.write(Array(report.csv.utf8), to: csv)
                let title = "Closing brackets of " + (corpus as NSString).lastPathComponent + " with --seq \(report.seq)"
                try AtomicFile.write(Array(report.svg(title: title).utf8), to: plot)
                print("results: \(csv), plot: \(plot)")
            } catch {
                throw fail(error)
            }
        }
    }
}

extension Probe {
    struct Plot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw the probe.csv files of long-range runs in one plot, without training.",
            discussion: "One line per model and --seq window: runs with two windows side by side show both sides of --seq.")

        @Argument(help: "probe.csv files written by charnn probe long-range.") var results: [String]
        @Option(help: "The SVG file to write.") var out = "probe.svg"

        func validate() throws {
            guard !results.isEmpty else { throw ValidationError("give at least one probe.csv to plot") }
        }

        func run() throws {
            do {
                let combined = try results.flatMap { path throws(ProbeError) in try LongRangeProbe.results(fromFile: path) }
                try AtomicFile.write(Array(LongRangeProbe.svg(combined, title: LongRangeProbe.title(combined)).utf8), to: out)
                print("plot: \(out)")
            } catch {
                throw fail(error)
            }
        }
    }
}

/// Names the run about to start on standard error, above its progress.
private func announce(_ run: String) {
    FileHandle.standardError.write(Data("== \(run)\n".utf8))
}
