/// What every cell's layer provides, as the stack drives it over a window (through `CellLayer`,
/// which `CellKind.makeLayer` builds). The state lives in the layer's own buffers: slot 0 of `h` (and of the cell state)
/// is the incoming state, slot T the state after the window; `dhCarry` (and `dCellStateCarry`)
/// hold ∂loss/∂ of the incoming state after `backward`.
protocol RecurrentLayer<Scalar> {
    associatedtype Scalar: BLASScalar
    var shape: LayerShape { get }
    /// h_0 … h_T, (T+1, B, H).
    var h: UnsafeMutablePointer<Scalar> { get }
    /// The cell states from c_0 (slot 0, the incoming state) on: (T+1, B, H) unless the layer keeps
    /// only some of them; nil for a cell without a cell state.
    var cellStateBuffer: UnsafeMutablePointer<Scalar>? { get }
    /// c_T, the cell state after the window; nil for a cell without one.
    var finalCellState: UnsafeMutablePointer<Scalar>? { get }
    var dhCarry: UnsafeMutablePointer<Scalar> { get }
    var dCellStateCarry: UnsafeMutablePointer<Scalar>? { get }

    /// Runs the window from the state in slot 0; the input is (T, B, D).
    func forward(input: LayerInput<Scalar>)
    /// Back-propagates `dOutput` (T, B, H), the loss gradient at h_1 … h_T, through the window:
    /// accumulates the weight gradients, writes the input gradient to `dx` (T, B, D) when given,
    /// and leaves the incoming-state gradients in `dhCarry` and `dcCarry`.
    func backward(dOutput: UnsafePointer<Scalar>, input: LayerInput<Scalar>,
                  dx: UnsafeMutablePointer<Scalar>?, fault: GradientFault)
}

extension RecurrentLayer {
    var finalCellState: UnsafeMutablePointer<Scalar>? { cellStateBuffer.map { $0 + shape.T * shape.B * shape.H } }

    /// Outputs h_1 … h_T, (T, B, H).
    var output: UnsafeMutablePointer<Scalar> { h + shape.B * shape.H }

    /// c_1 … c_T, (T, B, H); nil for a cell without a cell state.
    var cellStates: UnsafeMutablePointer<Scalar>? { cellStateBuffer.map { $0 + shape.B * shape.H } }

    /// Copies the incoming state (B, H) into slot 0; `c` is ignored by a cell without a cell state.
    func loadState(h hIn: UnsafePointer<Scalar>, c cIn: UnsafePointer<Scalar>, count: Int) {
        assert(count == shape.B * shape.H, "state of \(count) values for a (B, H) block of \(shape.B * shape.H)")
        h.update(from: hIn, count: count)
        cellStateBuffer?.update(from: cIn, count: count)
    }

    /// Copies the state after the last step (slot T) out, to carry it into the next window.
    func storeFinalState(h hOut: UnsafeMutablePointer<Scalar>, c cOut: UnsafeMutablePointer<Scalar>, count: Int) {
        assert(count == shape.B * shape.H, "state of \(count) values for a (B, H) block of \(shape.B * shape.H)")
        hOut.update(from: h + shape.T * count, count: count)
        if let c = finalCellState { cOut.update(from: c, count: count) }
    }

    /// ∂loss/∂h_0 and ∂loss/∂c_0 after `backward` (zero for a cell without a cell state).
    func storeIncomingStateGradient(dh: UnsafeMutablePointer<Scalar>, dc: UnsafeMutablePointer<Scalar>, count: Int) {
        assert(count == shape.B * shape.H, "state of \(count) values for a (B, H) block of \(shape.B * shape.H)")
        dh.update(from: dhCarry, count: count)
        if let dcCarry = dCellStateCarry {
            dc.update(from: dcCarry, count: count)
        } else {
            dc.update(repeating: 0, count: count)
        }
    }
}
