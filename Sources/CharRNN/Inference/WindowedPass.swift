/// A batch-1 pass over a text longer than one window: windows of `window` positions, the state
/// carried from each to the next, which is the pass over the whole text in one piece. Each window
/// projects all its inputs in one GEMM per layer, as a training forward does, instead of one
/// small GEMM per character; the last, shorter window gets a network of its own size.
struct WindowedPass {
    let model: CharRNNModel<Float>
    let window: Int

    /// Runs `positions` positions from the zero state: for each window `body(network, range)`
    /// fills `network.inputs` (and targets) with positions `range` and runs it. Returns the network
    /// that ran last, holding the final state; nil when `positions` is 0.
    func run(positions: Int, _ body: (UnrolledNetwork<Float>, Range<Int>) -> Void) -> UnrolledNetwork<Float>? {
        guard positions > 0 else { return nil }
        let full = UnrolledNetwork(model: model, batchSize: 1, steps: min(window, positions), withGradients: false)
        var start = 0
        while start + full.steps <= positions {
            body(full, start..<(start + full.steps))
            start += full.steps
        }
        guard start < positions else { return full }
        let last = UnrolledNetwork(model: model, batchSize: 1, steps: positions - start, withGradients: false)
        _ = last.stateH.update(fromContentsOf: full.stateH)
        _ = last.stateC.update(fromContentsOf: full.stateC)
        body(last, start..<positions)
        return last
    }
}
