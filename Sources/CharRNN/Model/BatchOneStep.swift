/// A matrix-vector product y += W x with W (rows, cols) stored as IEEE half precision
/// (`ckernels_gemv_f16_*`).
typealias HalfGEMV = (UnsafePointer<UInt16>, Int64, Int64, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void

/// What one layer's batch-1 step reads and writes when its matrices are held in half precision
/// (`HalfPrecisionStep`): one stream, one character; each cell's `stepBatchOne` follows its
/// layer's `forward`.
struct BatchOneLayer {
    let inputWidth: Int
    let hidden: Int
    let weightIH, weightHH: UnsafePointer<UInt16>
    let biasIH, biasHH: UnsafePointer<Float>
    /// The cell's own tensors (`RecurrentTensors.extra`), nil for a cell with none.
    let extra: UnsafePointer<Float>?
    /// The carried state, (H) each; `c` unused by a cell without a cell state.
    let h, c: UnsafeMutablePointer<Float>
    /// Scratch: (G·H) each, and (H).
    let inputGates, recurrentGates, scratch: UnsafeMutablePointer<Float>
    let gemv: HalfGEMV
}
