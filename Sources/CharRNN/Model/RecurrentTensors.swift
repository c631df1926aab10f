/// Pointers to one recurrent layer's tensors inside a flat buffer: the parameters, or their
/// gradients. Shapes: `weightIH` (G·H, D), `weightHH` (G·H, H), `biasIH` and `biasHH` (G·H), with G
/// gate blocks; `extra`, the start of the cell's own tensors (contiguous, in the order of
/// `CellKind.recurrentTensors`), nil for a cell with none.
struct RecurrentTensors<Scalar: BLASScalar> {
    let weightIH: UnsafeMutablePointer<Scalar>
    let weightHH: UnsafeMutablePointer<Scalar>
    let biasIH: UnsafeMutablePointer<Scalar>
    let biasHH: UnsafeMutablePointer<Scalar>
    let extra: UnsafeMutablePointer<Scalar>?

    init(_ buffer: UnsafeMutableBufferPointer<Scalar>, layout: ParameterLayout, layer k: Int, direction: Int) {
        let slots = layout.recurrentSlots(layer: k, direction: direction)
        let base = buffer.baseAddress!
        weightIH = base + slots.weightIH.offset
        weightHH = base + slots.weightHH.offset
        biasIH = base + slots.biasIH.offset
        biasHH = base + slots.biasHH.offset
        extra = slots.extra.first.map { base + $0.offset }
    }
}
