import Foundation

/// One model a probe trains: a cell at a width, with the label its tables and plots give it.
public struct ProbeModel: Equatable, Sendable {
    public var cell: CellKind
    public var layerCount: Int
    public var hiddenSize: Int

    public init(cell: CellKind, layerCount: Int, hiddenSize: Int) {
        self.cell = cell
        self.layerCount = layerCount
        self.hiddenSize = hiddenSize
    }

    /// "LSTM 2×128".
    public var label: String { "\(cell.displayName) \(layerCount)×\(hiddenSize)" }

    /// "lstm-2x128": the subfolder of the probe's output holding this model's run.
    public var folderName: String { "\(cell.rawValue)-\(layerCount)x\(hiddenSize)" }

    /// One model per cell of `cells`, each of `run`'s shape. With `sameParameters`, every cell takes
    /// the width whose parameter count is the LSTM's of `run`'s width (`Comparison.matchingWidth`:
    /// a GRU is widened), so the cells are compared at equal size rather than equal width.
    public static func lineup(cells: [CellKind], sameParameters: Bool, run: RunConfiguration,
                              vocabularySize: Int) -> [ProbeModel] {
        var lstm = run.modelConfig(vocabularySize: vocabularySize)
        lstm.cell = .lstm
        return cells.map { cell in
            ProbeModel(cell: cell, layerCount: run.layerCount,
                       hiddenSize: sameParameters ? Comparison.matchingWidth(of: cell, for: lstm) : run.hiddenSize)
        }
    }

    /// `template` with this model's cell and width, training on `corpus` into `folder`, validated
    /// once, at the end (the probes score the final model, so its loss is the one to report).
    public func options(from template: TrainingOptions, corpus: String, folder: String) -> TrainingOptions {
        var options = template
        options.corpusPaths = [corpus]
        options.cell = cell
        options.hiddenSize = hiddenSize
        options.layerCount = layerCount
        options.outputFolder = (folder as NSString).appendingPathComponent(folderName)
        options.validationEvery = 0
        options.saveEvery = 0
        options.resume = nil
        return options
    }
}
