/// What inference outside a training window needs from the network: set one stream's input,
/// read its logits, move one stream's carried state in and out of its row, and read what a layer
/// held at every step of the last forward pass.
extension UnrolledNetwork {
    /// Which of a layer's recurrent quantities to read.
    public enum RecordedQuantity: String, Sendable, CaseIterable {
        /// h_t, the layer's output (LSTM and GRU).
        case hidden
        /// c_t, the cell state (`CellKind.carriesCellState`).
        case cell
    }

    /// Sets the input id of stream `row` at step `t`.
    func setInput(_ id: Int32, row: Int, step t: Int = 0) {
        inputs[t * batchSize + row] = id
    }

    /// The raw logits (V) of stream `row` at step `t` after `computeLogits`.
    func logits(row: Int, step t: Int = 0) -> UnsafeBufferPointer<Scalar> {
        let V = model.config.vocabularySize, start = (t * batchSize + row) * V
        return UnsafeBufferPointer(rebasing: logits[start..<(start + V)])
    }

    /// Copies one stream's carried state, (L·directions, H) each, into row `row` of `stateH`/`stateC`.
    func loadState(row: Int, h: UnsafeBufferPointer<Scalar>, c: UnsafeBufferPointer<Scalar>) {
        let H = model.config.hiddenSize, B = batchSize
        for layer in 0..<(h.count / H) {
            let target = (layer * B + row) * H
            (stateH.baseAddress! + target).update(from: h.baseAddress! + layer * H, count: H)
            (stateC.baseAddress! + target).update(from: c.baseAddress! + layer * H, count: H)
        }
    }

    /// Copies row `row` of `stateH`/`stateC` out into one stream's state, (L·directions, H) each.
    func storeState(row: Int, h: UnsafeMutableBufferPointer<Scalar>, c: UnsafeMutableBufferPointer<Scalar>) {
        let H = model.config.hiddenSize, B = batchSize
        for layer in 0..<(h.count / H) {
            let source = (layer * B + row) * H
            (h.baseAddress! + layer * H).update(from: stateH.baseAddress! + source, count: H)
            (c.baseAddress! + layer * H).update(from: stateC.baseAddress! + source, count: H)
        }
    }

    /// Layer `k`'s `quantity` at every step of the last forward pass, (T, B, H), forward direction;
    /// nil for the cell state of a cell without one.
    func recorded(_ quantity: RecordedQuantity, layer k: Int) -> UnsafeBufferPointer<Scalar>? {
        let count = steps * batchSize * model.config.hiddenSize
        let layer = stages[k].forwardLayer
        switch quantity {
        case .hidden: return UnsafeBufferPointer(start: layer.output, count: count)
        case .cell: return layer.cellStates.map { UnsafeBufferPointer(start: $0, count: count) }
        }
    }
}
