/// Pointers to one recurrent layer's four tensors inside a flat buffer: the parameters, or their
/// gradients. Shapes: `weightIH` (G·H, D), `weightHH` (G·H, H), `biasIH` and `biasHH` (G·H), with G
/// gate blocks.
struct RecurrentTensors<Scalar: BLASScalar> {
    let weightIH: UnsafeMutablePointer<Scalar>
    let weightHH: UnsafeMutablePointer<Scalar>
    let biasIH: UnsafeMutablePointer<Scalar>
    let biasHH: UnsafeMutablePointer<Scalar>

    init(_ buffer: UnsafeMutableBufferPointer<Scalar>, layout: ParameterLayout, layer k: Int, direction: Int) {
        let slots = layout.recurrentSlots(layer: k, direction: direction)
        let base = buffer.baseAddress!
        weightIH = base + slots.weightIH.offset
        weightHH = base + slots.weightHH.offset
        biasIH = base + slots.biasIH.offset
        biasHH = base + slots.biasHH.offset
    }
}
