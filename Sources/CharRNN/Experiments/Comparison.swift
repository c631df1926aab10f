import Foundation

/// One model of a `charnn compare` run.
public struct ComparisonEntry: Sendable {
    public var label: String
    public var config: ModelConfig
    public var parameterCount: Int
    public var trainingCharsPerSecond: Double
    public var samplingCharsPerSecond: Double
    public var bestValidationLoss: Double?
    public var seconds: Double
    public var history: [MetricsRow]

    public init(label: String, config: ModelConfig, summary: TrainingSummary, samplingCharsPerSecond: Double) {
        self.label = label
        self.config = config
        parameterCount = ParameterLayout(config).totalCount
        trainingCharsPerSecond = summary.charsPerSecond
        self.samplingCharsPerSecond = samplingCharsPerSecond
        bestValidationLoss = summary.bestValidationLoss
        seconds = summary.elapsed
        history = summary.history
    }
}

/// GRU against LSTM on the same data, seed and budget.
public enum Comparison {
    /// The GRU width whose parameter count is closest to `config`'s (an LSTM's).
    public static func matchingGRUWidth(for config: ModelConfig) -> Int { matchingWidth(of: .gru, for: config) }

    /// The width of a `cell` model whose parameter count is closest to `config`'s; the first of
    /// equals, searching up from half the width (so `config`'s own cell keeps its width).
    public static func matchingWidth(of cell: CellKind, for config: ModelConfig) -> Int {
        let target = ParameterLayout(config).totalCount
        var other = config
        other.cell = cell
        var best = config.hiddenSize, bestGap = Int.max
        for width in max(1, config.hiddenSize / 2)...(2 * config.hiddenSize) {
            other.hiddenSize = width
            let gap = abs(ParameterLayout(other).totalCount - target)
            if gap < bestGap { (best, bestGap) = (width, gap) }
        }
        return best
    }

    /// Characters per second of batch-1 generation from `model` (one thread, temperature 0.8).
    public static func samplingRate(model: CharRNNModel<Float>, vocabulary: Vocabulary, length: Int = 2000) -> Double {
        let generator = TextGenerator(model: model, vocabulary: vocabulary, normalization: .none)
        var picker = TokenPicker(vocabularySize: vocabulary.count, temperature: 0.8)
        var random = SplitMix64(seed: 1)
        let start = DispatchTime.now().uptimeNanoseconds
        generator.generate(prime: [], length: length, picker: &picker, generator: &random) { _ in true }
        return Double(length) / (Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }

    /// The comparison as a text table.
    public static func table(_ entries: [ComparisonEntry]) -> String {
        var lines = ["model                     parameters   train chars/s   sample chars/s   best val bits/char   time"]
        for e in entries {
            let bits = e.bestValidationLoss.map { String(format: "%.4f", $0 / Foundation.log(2.0)) } ?? "—"
            let numbers = String(format: " %12d %15.0f %16.0f ", e.parameterCount, e.trainingCharsPerSecond,
                                 e.samplingCharsPerSecond)
            lines.append(e.label.padding(toLength: 25, withPad: " ", startingAt: 0) + numbers
                         + String(repeating: " ", count: max(0, 20 - bits.count)) + bits
                         + "   " + ProgressPrinter.duration(e.seconds))
        }
        return lines.joined(separator: "\n")
    }

    /// `compare.svg`: validation bits per character against training time, one curve per model.
    public static func svg(_ entries: [ComparisonEntry], title: String) -> String {
        let curves = entries.map { entry in
            (entry.label, entry.history.compactMap { row in row.validationLoss.map { (row.elapsed, $0 / Foundation.log(2.0)) } })
        }
        return CurvePlot.svg(curves: curves, title: title, xLabel: "training time (seconds)",
                             yLabel: "validation loss (bits per character)")
    }
}
