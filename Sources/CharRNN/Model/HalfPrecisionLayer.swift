/// y_b += W x_b for a batch of streams with W in half precision, as the half-precision step runs it
/// (one `HalfGEMM` call, or split over two threads): (W, rows, cols, X, ldx, batch, Y, ldy).
typealias HalfProduct = (UnsafePointer<UInt16>, Int, Int, UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>,
                         Int) -> Void

/// What one layer's step reads and writes when its matrices are held in half precision
/// (`HalfPrecisionStep`): one character for each of B streams (rows); each cell's
/// `stepHalfPrecision` follows its layer's `forward`.
struct HalfPrecisionLayer {
    let inputWidth: Int
    let hidden: Int
    /// Packed as `ckernels_pack_half_panels` lays them out.
    let weightIH, weightHH: UnsafePointer<UInt16>
    /// A reset-before GRU's candidate rows of W_hh (2H…3H), packed apart; then `weightHH` holds
    /// only the gates' rows. Nil for the other cells.
    let candidateWeightHH: UnsafePointer<UInt16>?
    let biasIH, biasHH: UnsafePointer<Float>
    /// The cell's own tensors (`RecurrentTensors.extra`), nil for a cell with none.
    let extra: UnsafePointer<Float>?
    /// The carried state, (B, H) each; `c` unused by a cell without a cell state.
    let h, c: UnsafeMutablePointer<Float>
    /// Scratch: (B, G·H) each, and (B, H).
    let inputGates, recurrentGates, scratch: UnsafeMutablePointer<Float>
    let product: HalfProduct

    /// y_b += W x_b for the first `rows` streams: W (outputs, depth); x_b at `input + b·inputStride`,
    /// y_b at `output + b·outputStride`.
    func multiply(_ weight: UnsafePointer<UInt16>, outputs: Int, depth: Int, input: UnsafePointer<Float>,
                  inputStride: Int, rows: Int, into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        product(weight, outputs, depth, input, inputStride, rows, output, outputStride)
    }

    /// Each of the first `rows` rows of `target` (stride `stride`) set to `bias` (count), or to zero.
    func fill(_ target: UnsafeMutablePointer<Float>, rows: Int, stride: Int, with bias: UnsafePointer<Float>?,
              count: Int) {
        for b in 0..<rows {
            if let bias { (target + b * stride).update(from: bias, count: count) }
            else { (target + b * stride).update(repeating: 0, count: count) }
        }
    }

    /// The gate pre-activations of the first `rows` streams, (B, G) each, G = gateBlocks·H:
    /// inputGates_b = W_ih x_b and recurrentGates_b = W_hh h_b, each plus its bias when `withBiases`.
    func gatePreactivations(gateBlocks: Int, rows: Int, input x: UnsafePointer<Float>, inputStride: Int,
                            withBiases: Bool) {
        let G = gateBlocks * hidden
        fill(inputGates, rows: rows, stride: G, with: withBiases ? biasIH : nil, count: G)
        fill(recurrentGates, rows: rows, stride: G, with: withBiases ? biasHH : nil, count: G)
        multiply(weightIH, outputs: G, depth: inputWidth, input: x, inputStride: inputStride, rows: rows,
                 into: inputGates, outputStride: G)
        multiply(weightHH, outputs: G, depth: hidden, input: h, inputStride: hidden, rows: rows,
                 into: recurrentGates, outputStride: G)
    }
}
