/// One recurrent step for the rows of a batch of streams, each row one stream's input, state and
/// logits: what the continuous batcher needs of the float network (`UnrolledNetwork`, one step) and
/// of the half-precision step alike.
protocol BatchedStep: AnyObject {
    func setInput(_ id: Int32, row: Int)
    /// Copies one stream's carried state, (L, H) each, into row `row`.
    func loadState(row: Int, h: UnsafeBufferPointer<Float>, c: UnsafeBufferPointer<Float>)
    /// Copies row `row`'s state out into one stream's, (L, H) each.
    func storeState(row: Int, h: UnsafeMutableBufferPointer<Float>, c: UnsafeMutableBufferPointer<Float>)
    /// Advances rows 0..<rows (at least) by one character each and leaves their logits.
    func step(rows: Int)
    /// Row `row`'s logits (V) after `step`.
    func logits(row: Int) -> UnsafeBufferPointer<Float>
}

extension UnrolledNetwork: BatchedStep where Scalar == Float {
    func setInput(_ id: Int32, row: Int) {
        setInput(id, row: row, step: 0)
    }

    func logits(row: Int) -> UnsafeBufferPointer<Float> {
        logits(row: row, step: 0)
    }

    /// Every row of the network's batch.
    func step(rows: Int) {
        computeLogits()
    }
}
