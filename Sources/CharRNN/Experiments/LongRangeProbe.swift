import Foundation

/// One model trained at one gap of the long-range probe, and how it did.
public struct LongRangeResult: Equatable, Sendable {
    public var model: ProbeModel
    public var gap: Int
    public var seq: Int
    /// Held-out lines scored, and those whose repeated key the model ranked first.
    public var keysScored: Int
    public var keysRight: Int
    public var chance: Double
    /// The final model's validation loss, nats per character.
    public var validationLoss: Double
    public var parameterCount: Int
    public var charsPerSecond: Double
    public var steps: Int
    public var seconds: Double

    public var keyAccuracy: Double { keysScored > 0 ? Double(keysRight) / Double(keysScored) : 0 }
}

/// `charnn probe long-range`: does a cell carry one character across a gap? For each gap `D`, a
/// `LongRangeText` is written to `OUT/gap-D/text.txt` (`trainingCharacters` of lines, then the
/// held-out lines), each model trains on it from scratch with the same seed and budget, and is
/// scored on the held-out lines: the fraction whose repeated key is the model's most likely next
/// character after the marker (`RecallSite.outcomes` with a `ModelPredictor`), read from a zero
/// state at the start of the held-out part. That part is exactly the trainer's validation part,
/// whose loss is reported too.
public struct LongRangeProbe {
    /// Model flags, optimiser, budget, seed and threads of every run; corpus and output are the probe's.
    public var template: TrainingOptions
    public var cells: [CellKind]
    public var sameParameters: Bool
    public var gaps: [Int]
    /// Characters of training lines per gap.
    public var trainingCharacters: Int
    /// Held-out lines per gap; more when the validation part needs them to fill one window of
    /// `batch` streams × `seq` characters.
    public var heldOutLines: Int
    public var outputFolder: String

    public init(template: TrainingOptions, cells: [CellKind], sameParameters: Bool, gaps: [Int],
                trainingCharacters: Int, heldOutLines: Int, outputFolder: String) {
        self.template = template
        self.cells = cells
        self.sameParameters = sameParameters
        self.gaps = gaps
        self.trainingCharacters = trainingCharacters
        self.heldOutLines = heldOutLines
        self.outputFolder = outputFolder
    }

    /// Keys, filler, marker and line break.
    static let vocabularySize = LongRangeText.keys.count + LongRangeText.filler.count + 2

    /// The models, in the order they train at each gap.
    public func lineup() throws -> [ProbeModel] {
        ProbeModel.lineup(cells: cells, sameParameters: sameParameters, run: try RunConfiguration(options: template),
                          vocabularySize: Self.vocabularySize)
    }

    /// Trains and scores every model at every gap, gap by gap; `announce` names each run before it starts.
    public func run(announce: (String) -> Void, report: (TrainingEvent) -> Void) throws -> [LongRangeResult] {
        let run = try RunConfiguration(options: template)
        let models = try lineup()
        var results: [LongRangeResult] = []
        for gap in gaps {
            let length = LongRangeText.lineLength(gap: gap)
            let trainingLines = (trainingCharacters + length - 1) / length
            let oneWindow = run.batch * run.seq + 1
            let heldOut = max(heldOutLines, (oneWindow + length - 1) / length)
            let text = LongRangeText(gap: gap, lineCount: trainingLines + heldOut, seed: template.seed)
            let folder = (outputFolder as NSString).appendingPathComponent("gap-\(gap)")
            do { try Folder.create(folder) } catch { throw TrainingError.cannotCreateFolder(path: folder, reason: error.description) }
            let textPath = (folder as NSString).appendingPathComponent("text.txt")
            try AtomicFile.write(text.text, to: textPath)

            var template = self.template
            // Half a character over, so that ⌊fraction · n⌋ is exactly the held-out lines' length.
            template.validationFraction = (Double(heldOut * length) + 0.5) / Double(text.text.count)
            for model in models {
                announce("\(model.label), gap \(gap)")
                let trainer = try Trainer(options: model.options(from: template, corpus: textPath, folder: folder))
                let summary = try trainer.run(report: report)
                let ids = Array(trainer.corpus.training) + Array(trainer.corpus.validation)
                let heldOutStart = trainer.corpus.training.count
                let sites = RecallSite.within(text.sites, from: heldOutStart)
                let outcomes = RecallSite.outcomes(of: ModelPredictor(model: trainer.model),
                                                   on: Array(ids[heldOutStart...]), sites: sites)
                results.append(LongRangeResult(
                    model: model, gap: gap, seq: run.seq, keysScored: outcomes.count,
                    keysRight: outcomes.filter { $0 }.count, chance: LongRangeText.chance,
                    validationLoss: summary.lastValidationLoss ?? trainer.validate(),
                    parameterCount: trainer.model.parameterCount, charsPerSecond: summary.charsPerSecond,
                    steps: summary.steps, seconds: summary.elapsed))
            }
        }
        return results
    }
}

// MARK: - Reporting

extension LongRangeProbe {
    public static let csvHeader = "model,cell,layers,hidden,gap,seq,key_accuracy,chance,keys_scored,validation_loss,parameters,chars_per_s,steps,seconds"

    /// The caption and table `charnn probe long-range` prints.
    public static func table(_ results: [LongRangeResult]) -> String {
        var lines: [String] = []
        if let first = results.first {
            lines.append(String(format: "key accuracy on held-out lines; chance %.1f%% (%d keys); --seq %d: a gap up to %d fits in one window",
                                100 * first.chance, LongRangeText.keys.count, first.seq, first.seq - 2))
        }
        lines.append("model            gap   key accuracy   chance   keys scored   val bits/char   parameters   train chars/s    steps   time")
        for r in results {
            lines.append(r.model.label.padding(toLength: 14, withPad: " ", startingAt: 0)
                         + String(format: "%7d %13.1f%% %7.1f%% %13d %15.4f %12d %15.0f %8d   ", r.gap, 100 * r.keyAccuracy,
                                  100 * r.chance, r.keysScored, r.validationLoss / Foundation.log(2.0),
                                  r.parameterCount, r.charsPerSecond, r.steps)
                         + ProgressPrinter.duration(r.seconds))
        }
        return lines.joined(separator: "\n")
    }

    /// `probe.csv`: one row per model and gap; accuracy and chance as fractions, loss in nats per character.
    public static func csv(_ results: [LongRangeResult]) -> String {
        var text = csvHeader + "\n"
        for r in results {
            text += "\(r.model.label),\(r.model.cell.rawValue),\(r.model.layerCount),\(r.model.hiddenSize),\(r.gap),\(r.seq),"
                + String(format: "%.6f,%.6f,%d,%.6f,%d,%.0f,%d,%.2f\n", r.keyAccuracy, r.chance, r.keysScored,
                         r.validationLoss, r.parameterCount, r.charsPerSecond, r.steps, r.seconds)
        }
        return text
    }

    /// The results of a `probe.csv` (what `csv` wrote), to redraw or combine runs without training again.
    /// - Throws: `ProbeError.unreadableResults` naming the file and, for a bad row, its line.
    public static func results(fromFile path: String) throws(ProbeError) -> [LongRangeResult] {
        guard FileManager.default.isReadableFile(atPath: path),
              let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .unreadableResults(path: path, line: nil, reason: "cannot be read as UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.first == csvHeader else {
            throw .unreadableResults(path: path, line: 1, reason: "the header is not probe.csv's")
        }
        var results: [LongRangeResult] = []
        for (index, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 14, let cell = CellKind(rawValue: fields[1]),
                  let layers = Int(fields[2]), let hidden = Int(fields[3]), let gap = Int(fields[4]),
                  let seq = Int(fields[5]), let accuracy = Double(fields[6]), let chance = Double(fields[7]),
                  let scored = Int(fields[8]), let loss = Double(fields[9]), let parameters = Int(fields[10]),
                  let speed = Double(fields[11]), let steps = Int(fields[12]), let seconds = Double(fields[13]),
                  (0...1).contains(accuracy), scored >= 0 else {
                throw .unreadableResults(path: path, line: index + 1, reason: "expected 14 fields of the kinds the header names")
            }
            let model = ProbeModel(cell: cell, layerCount: layers, hiddenSize: hidden)
            guard model.label == fields[0] else {
                throw .unreadableResults(path: path, line: index + 1, reason: "the model \(fields[0]) contradicts its cell and sizes")
            }
            // Six decimals of a fraction of at most a million keys: the count is recovered exactly.
            results.append(LongRangeResult(
                model: model, gap: gap, seq: seq, keysScored: scored, keysRight: Int((accuracy * Double(scored)).rounded()),
                chance: chance, validationLoss: loss, parameterCount: parameters, charsPerSecond: speed,
                steps: steps, seconds: seconds))
        }
        return results
    }

    /// "Recall across a gap with --seq 50", or "… with --seq 50 and 200" for combined runs.
    public static func title(_ results: [LongRangeResult]) -> String {
        let seqs = distinctSeqs(results).map(String.init)
        guard let last = seqs.last else { return "Recall across a gap" }
        let list = seqs.count == 1 ? last : seqs.dropLast().joined(separator: ", ") + " and " + last
        return "Recall across a gap with --seq " + list
    }

    /// `probe.svg`: key accuracy against the gap, one line per model (and window, when the results
    /// come from runs with different `--seq`), chance and each `--seq` window drawn.
    public static func svg(_ results: [LongRangeResult], title: String) -> String {
        let seqs = distinctSeqs(results)
        func curveLabel(_ r: LongRangeResult) -> String { r.model.label + (seqs.count > 1 ? ", --seq \(r.seq)" : "") }
        var labels: [String] = []
        for r in results where !labels.contains(curveLabel(r)) { labels.append(curveLabel(r)) }
        let curves = labels.map { label in
            (label, results.filter { curveLabel($0) == label }.map { (Double($0.gap), 100 * $0.keyAccuracy) })
        }
        var references: [PlotReference] = []
        if let first = results.first {
            references.append(PlotReference(axis: .y, value: 100 * first.chance,
                                            label: String(format: "chance %.1f%%", 100 * first.chance)))
        }
        for seq in seqs where seq > 2 {
            references.append(PlotReference(axis: .x, value: Double(seq - 2), label: "--seq \(seq): longest gap in one window"))
        }
        let gaps = Array(Set(results.map(\.gap))).sorted().map(Double.init)
        return CurvePlot.svg(curves: curves, title: title, xLabel: "gap D (characters between the key and its recall)",
                             yLabel: "key accuracy on held-out lines (%)", logarithmicX: true, xTicks: gaps,
                             yRange: 0...100, references: references, dots: true, legendAbove: true)
    }

    private static func distinctSeqs(_ results: [LongRangeResult]) -> [Int] {
        var seqs: [Int] = []
        for r in results where !seqs.contains(r.seq) { seqs.append(r.seq) }
        return seqs
    }
}
