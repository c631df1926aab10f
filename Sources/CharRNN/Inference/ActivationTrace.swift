/// What one layer held after each character of a text: for the neuron view, which colours text by
/// one unit's activation (as in Karpathy, Johnson and Fei-Fei, *Visualizing and Understanding
/// Recurrent Networks*, 2015). The text is read from a zero state, the state carried across windows.
public enum ActivationTrace {
    /// Characters per window of the pass.
    static let window = 256

    /// (N, H) row-major: row i is layer `layer`'s `quantity` after reading `ids[i]`; nil when the
    /// model has no such layer or quantity.
    public static func trace(ids: [Int32], model: CharRNNModel<Float>, layer: Int,
                             quantity: UnrolledNetwork<Float>.RecordedQuantity) -> [Float]? {
        let config = model.config
        guard layer >= 0, layer < config.layerCount, !config.bidirectional,
              quantity == .hidden || config.cell.carriesCellState else { return nil }
        let H = config.hiddenSize
        var values: [Float] = []
        values.reserveCapacity(ids.count * H)
        var carried: (h: [Float], c: [Float])?
        var start = 0
        while start < ids.count {
            let count = min(window, ids.count - start)
            let network = UnrolledNetwork(model: model, batchSize: 1, steps: count, withGradients: false)
            if let carried {
                _ = network.stateH.update(fromContentsOf: carried.h)
                _ = network.stateC.update(fromContentsOf: carried.c)
            }
            for t in 0..<count { network.setInput(ids[start + t], row: 0, step: t) }
            network.computeLogits()
            carried = (Array(network.stateH), Array(network.stateC))
            values.append(contentsOf: network.recorded(quantity, layer: layer)!)
            start += count
        }
        return values
    }
}
