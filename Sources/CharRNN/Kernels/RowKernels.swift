/// Row sums of a (rows, columns) matrix added into `sums` (columns): a bias gradient.
@inline(__always)
func addColumnSums<Scalar: BLASScalar>(
    _ matrix: UnsafePointer<Scalar>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Scalar>
) {
    addColumnSums(matrix, rows: rows, columns: columns, stride: columns, into: sums)
}

/// Column sums of `columns` of a matrix whose rows are `stride` apart, added into `sums`: a part of
/// a bias gradient (`GradientShare`).
@inline(__always)
func addColumnSums<Scalar: BLASScalar>(
    _ matrix: UnsafePointer<Scalar>, rows: Int, columns: Int, stride: Int, into sums: UnsafeMutablePointer<Scalar>
) {
    for r in 0..<rows {
        let row = matrix + r * stride
        for j in 0..<columns { sums[j] += row[j] }
    }
}

/// `addColumnSums` into two bias gradients that receive the same sums (b_ih and b_hh where both add
/// to every gate's pre-activation), reading the matrix once: each gets the bits the single call gives.
@inline(__always)
func addColumnSums<Scalar: BLASScalar>(
    _ matrix: UnsafePointer<Scalar>, rows: Int, columns: Int, stride: Int, into sums: UnsafeMutablePointer<Scalar>,
    and otherSums: UnsafeMutablePointer<Scalar>
) {
    for r in 0..<rows {
        let row = matrix + r * stride
        for j in 0..<columns {
            sums[j] += row[j]
            otherSums[j] += row[j]
        }
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
