import Foundation

/// A span of distances between an opening and a closing bracket: `lower ..< upper`, or from `lower`
/// on when `upper` is nil.
public struct DistanceBucket: Equatable, Sendable {
    public var lower: Int
    public var upper: Int?

    /// 1–9, 10–24, 25–49, 50–99, 100–199, 200–399, 400–799, 800 and more: the long-range probe's
    /// gaps, doubled on from 100.
    public static let standard: [DistanceBucket] = {
        let bounds = [1, 10, 25, 50, 100, 200, 400, 800]
        return bounds.indices.map { i in DistanceBucket(lower: bounds[i], upper: i + 1 < bounds.count ? bounds[i + 1] : nil) }
    }()

    public func contains(_ distance: Int) -> Bool { distance >= lower && upper.map { distance < $0 } ?? true }

    /// "10–24", "800+".
    public var label: String { upper.map { "\(lower)–\($0 - 1)" } ?? "\(lower)+" }
}

/// One model of a bracket probe: its training run and, per distance bucket, the closers it got right.
public struct BracketModelResult: Sendable {
    public var model: ProbeModel
    public var entry: ComparisonEntry
    public var right: [Int]
}

/// What `charnn probe brackets` measured.
public struct BracketReport: Sendable {
    public var seq: Int
    public var buckets: [DistanceBucket]
    /// Closers of the held-out part per bucket.
    public var closers: [Int]
    /// The closer that is most frequent among the training part's matched closers, and how often
    /// always guessing it is right per bucket: the bar a model must clear.
    public var constantCloser: Unicode.Scalar
    public var constantRight: [Int]
    public var models: [BracketModelResult]

    /// "always )".
    public var constantLabel: String { "always \(constantCloser)" }
}

/// `charnn probe brackets`: the long-range probe's question on real source code. Each model trains
/// on the corpus as `charnn train` would; then the held-out part (the trainer's validation part) is
/// read from a zero state, and at every closing bracket whose opener is also in it (`BracketPairs`)
/// the model's choice among the closing brackets `)`, `]`, `}` (the one with the largest logit) is
/// compared with the right one, bucketed by the distance to the opener.
public struct BracketProbe {
    /// Corpus, model flags, optimiser, budget, seed and threads of every run.
    public var template: TrainingOptions
    public var cells: [CellKind]
    public var sameParameters: Bool
    public var outputFolder: String

    public init(template: TrainingOptions, cells: [CellKind], sameParameters: Bool, outputFolder: String) {
        self.template = template
        self.cells = cells
        self.sameParameters = sameParameters
        self.outputFolder = outputFolder
    }

    /// Reads the corpus and finds its bracket pairs before any training; trains and scores each model.
    /// - Throws: the corpus's `DataError`s; `ProbeError.noBracketPairs` when the held-out part has none.
    public func run(announce: (String) -> Void, report: (TrainingEvent) -> Void) throws -> BracketReport {
        let run = try RunConfiguration(options: template)
        let corpusPath = template.corpusPaths.first ?? ""
        // Read as training reads it: one file, its last --val-frac held out.
        var reading = CorpusOptions()
        (reading.tokenization, reading.normalization) = (run.tokenization, run.normalization)
        reading.holdout = Holdout(fraction: run.validationFraction)
        let corpus = try Corpus.load(try CorpusSources.resolve([corpusPath], tokenization: run.tokenization).files,
                                     options: reading)
        let vocabulary = corpus.vocabulary
        let ids = Array(corpus.training) + Array(corpus.validation)
        let text = ids.map { Unicode.Scalar(vocabulary.scalarValues[Int($0)])! }
        let heldOutStart = corpus.training.count
        let sites = BracketPairs.sites(in: text)
        let heldOut = RecallSite.within(sites, from: heldOutStart)
        guard !heldOut.isEmpty else {
            throw ProbeError.noBracketPairs(path: corpusPath, heldOutCharacters: ids.count - heldOutStart)
        }

        let trainingClosers = sites.filter { $0.target < heldOutStart }.map { text[$0.target] }
        let constantCloser = BracketPairs.closers.max { a, b in
            trainingClosers.filter { $0 == a }.count < trainingClosers.filter { $0 == b }.count
        }!
        let buckets = DistanceBucket.standard
        func tally(_ right: [Bool]) -> [Int] {
            buckets.map { bucket in zip(heldOut, right).filter { bucket.contains($0.0.distance) && $0.1 }.count }
        }
        let heldOutIDs = Array(ids[heldOutStart...])
        let closers = tally(heldOut.map { _ in true })
        let constantRight = tally(heldOut.map { text[heldOutStart + $0.target] == constantCloser })

        let candidates = BracketPairs.closers.compactMap { vocabulary.id(of: $0) }
        var models: [BracketModelResult] = []
        for model in ProbeModel.lineup(cells: cells, sameParameters: sameParameters, run: run,
                                       vocabularySize: vocabulary.count) {
            announce(model.label)
            let trainer = try Trainer(options: model.options(from: template, corpus: corpusPath, folder: outputFolder))
            let summary = try trainer.run(report: report)
            let right = RecallSite.outcomes(of: ModelPredictor(model: trainer.model, candidates: candidates),
                                            on: heldOutIDs, sites: heldOut)
            setBLASThreadCount(1)
            let sampling = Comparison.samplingRate(model: trainer.model, vocabulary: trainer.vocabulary)
            models.append(BracketModelResult(
                model: model, entry: ComparisonEntry(label: model.label, config: trainer.config, summary: summary,
                                                     samplingCharsPerSecond: sampling),
                right: tally(right)))
        }
        return BracketReport(seq: run.seq, buckets: buckets, closers: closers, constantCloser: constantCloser,
                             constantRight: constantRight, models: models)
    }
}

// MARK: - Reporting

extension BracketReport {
    public static let csvHeader = "model,distance_from,distance_to,closers,right,accuracy"

    /// The buckets that hold at least one closer.
    var filledBuckets: [Int] { buckets.indices.filter { closers[$0] > 0 } }

    /// The models' training table (as `charnn compare` prints it), then accuracy by distance.
    public var table: String {
        var lines = [Comparison.table(models.map(\.entry)), "",
                     "closer ranked first among ) ] } on the held-out part, by distance to its opener (--seq \(seq))"]
        let labels = [constantLabel] + models.map(\.model.label)
        lines.append("distance    closers" + labels.map { String(repeating: " ", count: max(1, 13 - $0.count)) + $0 }.joined())
        for b in filledBuckets {
            let rights = [constantRight[b]] + models.map { $0.right[b] }
            var line = buckets[b].label.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: "%11d", closers[b])
            for (label, right) in zip(labels, rights) {
                let cell = String(format: "%.1f%%", 100 * Double(right) / Double(closers[b]))
                line += String(repeating: " ", count: max(1, 13 - cell.count, label.count + 1 - cell.count)) + cell
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// `brackets.csv`: one row per model (the constant guess first) and filled bucket; accuracy as a
    /// fraction; `distance_to` inclusive, empty for the open-ended bucket.
    public var csv: String {
        var text = Self.csvHeader + "\n"
        let rows = [(constantLabel, constantRight)] + models.map { ($0.model.label, $0.right) }
        for (label, right) in rows {
            for b in filledBuckets {
                let to = buckets[b].upper.map { String($0 - 1) } ?? ""
                text += "\(label),\(buckets[b].lower),\(to),\(closers[b]),\(right[b]),"
                    + String(format: "%.6f\n", Double(right[b]) / Double(closers[b]))
            }
        }
        return text
    }

    /// `brackets.svg`: accuracy against the distance (at each bucket's lower end), one line per
    /// model and one for the constant guess, the `--seq` window drawn.
    public func svg(title: String) -> String {
        let rows = models.map { ($0.model.label, $0.right) } + [(constantLabel, constantRight)]
        let curves = rows.map { label, right in
            (label, filledBuckets.map { (Double(buckets[$0].lower), 100 * Double(right[$0]) / Double(closers[$0])) })
        }
        return CurvePlot.svg(curves: curves, title: title, xLabel: "distance from the opening bracket (characters)",
                             yLabel: "right closer ranked first (%)", logarithmicX: true,
                             xTicks: filledBuckets.map { Double(buckets[$0].lower) }, yRange: 0...100,
                             references: [PlotReference(axis: .x, value: Double(seq), label: "--seq \(seq)")], dots: true,
                             legendAbove: true)
    }
}
