import ArgumentParser
import CharRNN
import Foundation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an LSTM and a GRU of the same width on the same data, seed and budget, and compare them.",
        discussion: "Prints parameters, training and sampling speed and the best validation loss of each, and writes OUT/compare.svg.")

    @Argument(help: "The text to train on.") var corpus: String
    @OptionGroup var budget: BudgetOptions
    @Flag(help: "Also train a GRU widened to the LSTM's parameter count.") var sameParams = false
    @OptionGroup var model: ModelOptions
    @Option(help: "Learning rate.") var lr = TrainingDefaults.learningRate
    @Option(help: "Validate every N steps.") var valEvery = 100
    @Option(help: "Seed of both runs.") var seed = TrainingDefaults.seed
    @Option(help: "Threads, as for train. (default: every core)") var threads: Int?
    @Option(help: "Output folder: one subfolder per model, and compare.svg.") var out = "checkpoints/compare"

    func validate() throws {
        guard valEvery >= 1 else { throw ValidationError("--val-every must be positive, got \(valEvery)") }
        guard model.cell == nil else { throw ValidationError("compare trains an LSTM and a GRU; drop --cell") }
        guard lr > 0 else { throw ValidationError("--lr must be positive, got \(lr)") }
    }

    func run() throws {
        do {
            let shape = try model.freshRun()
            let (layers, hidden) = (shape.layerCount, shape.hiddenSize)
            var runs: [(label: String, cell: CellKind, hidden: Int)] = [("LSTM \(layers)×\(hidden)", .lstm, hidden),
                                                                           ("GRU \(layers)×\(hidden)", .gru, hidden)]
            if sameParams {
                let lstm = shape.modelConfig(vocabularySize: try Corpus.load(path: corpus).vocabulary.count)
                let wide = Comparison.matchingGRUWidth(for: lstm)
                runs.append(("GRU \(layers)×\(wide) (same params)", .gru, wide))
            }
            var entries: [ComparisonEntry] = []
            for run in runs {
                FileHandle.standardError.write(Data("== \(run.label)\n".utf8))
                var options = TrainingOptions(corpus: [corpus])
                model.apply(to: &options)
                options.cell = run.cell
                options.hiddenSize = run.hidden
                options.learningRate = lr
                options.validationEvery = valEvery
                options.saveEvery = 0
                options.seed = seed
                options.threads = threads
                options.budget = budget.budget
                options.outputFolder = (out as NSString).appendingPathComponent(
                    run.label.lowercased().replacingOccurrences(of: " ", with: "-")
                        .replacingOccurrences(of: "×", with: "x").filter { $0.isLetter || $0.isNumber || $0 == "-" })
                let trainer = try Trainer(options: options)
                let summary = try trainer.run(report: ProgressPrinter().handle)
                setBLASThreadCount(1)
                let sampling = Comparison.samplingRate(model: trainer.model, vocabulary: trainer.vocabulary)
                entries.append(ComparisonEntry(label: run.label, config: trainer.config, summary: summary,
                                               samplingCharsPerSecond: sampling))
            }
            print(Comparison.table(entries))
            let plot = (out as NSString).appendingPathComponent("compare.svg")
            let title = "LSTM against GRU on " + (corpus as NSString).lastPathComponent
            try AtomicFile.write(Array(Comparison.svg(entries, title: title).utf8), to: plot)
            print("validation curves: \(plot)")
        } catch {
            throw fail(error)
        }
    }
}
