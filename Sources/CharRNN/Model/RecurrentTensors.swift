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

/// A wrong backward pass, switched on only by the tests that prove the gradient check can fail.
enum GradientFault: Sendable {
    case none
    /// The gradient reaching h_{t−1} through the recurrent weights is dropped.
    case dropRecurrentTerm
}

/// Row sums of a (rows, columns) matrix added into `sums` (columns): a bias gradient.
@inline(__always)
func addColumnSums<Scalar: BLASScalar>(
    _ matrix: UnsafePointer<Scalar>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Scalar>
) {
    for r in 0..<rows {
        let row = matrix + r * columns
        for j in 0..<columns { sums[j] += row[j] }
    }
}

/// Every row of a (rows, columns) matrix set to `a + b` (b optional): the biases broadcast before
/// the input-projection GEMM accumulates onto them.
@inline(__always)
func broadcastRows<Scalar: BLASScalar>(
    _ a: UnsafePointer<Scalar>, plus b: UnsafePointer<Scalar>?, rows: Int, columns: Int,
    into matrix: UnsafeMutablePointer<Scalar>
) {
    if let b {
        for j in 0..<columns { matrix[j] = a[j] + b[j] }
    } else {
        matrix.update(from: a, count: columns)
    }
    for r in 1..<max(rows, 1) {
        (matrix + r * columns).update(from: matrix, count: columns)
    }
}
