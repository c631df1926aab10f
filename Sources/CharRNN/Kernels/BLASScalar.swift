import COpenBLAS
import Foundation

/// A floating-point type the engine computes in: `Float` trains (through `sgemm`), `Double`
/// checks gradients (through `dgemm`). All matrices are row-major.
public protocol BLASScalar: BinaryFloatingPoint, Sendable {
    /// `c ← alpha · op(a) · op(b) + beta · c` with `op(a)` of shape (m, k) and `op(b)` of shape (k, n).
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `y ← alpha · a · x + beta · y` with `a` of shape (m, n), row-major.
    static func gemv(
        m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)

    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    /// σ(x) = 1 / (1 + e^−x).
    static func sigmoid(_ x: Self) -> Self
    /// `values[0 ..< count]` ← σ(values).
    static func sigmoid(inPlace values: UnsafeMutablePointer<Self>, count: Int)
    /// `values[0 ..< count]` ← tanh(values).
    static func tanh(inPlace values: UnsafeMutablePointer<Self>, count: Int)
}

extension Double {
    /// σ(x) = 1 / (1 + e^−x), written so that neither branch overflows.
    @inline(__always)
    public static func sigmoid(_ x: Double) -> Double {
        if x >= 0 {
            return 1 / (1 + exp(-x))
        }
        let e = exp(x)
        return e / (1 + e)
    }
}

@inline(__always)
private func transpose(_ flag: Bool) -> CBLAS_TRANSPOSE { flag ? CblasTrans : CblasNoTrans }

// rowTimesTransposed: one row times a transposed matrix, (1, k) · (n, k)ᵀ, is the matrix-vector
// product (n, k) · (k): `gemv` reads the matrix once, where `gemm` first copies all of it into its
// packed layout, which was most of the cost of a batch-1 step (sampling, priming, scoring).

extension Float: BLASScalar {
    @inline(__always)
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 1, !transA, transB {  // see `rowTimesTransposed`
            return gemv(m: n, n: k, alpha: alpha, a: b, lda: ldb, x: a, beta: beta, y: c)
        }
        cblas_sgemm(CblasRowMajor, transpose(transA), transpose(transB),
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    @inline(__always)
    public static func gemv(
        m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    // The gate nonlinearities of the Float path are FastMath's branch-free kernels; log stays libm's.
    @inline(__always) public static func exp(_ x: Float) -> Float { FastMath.exp(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { Foundation.log(x) }
    @inline(__always) public static func tanh(_ x: Float) -> Float { FastMath.tanh(x) }
    @inline(__always) public static func sigmoid(_ x: Float) -> Float { FastMath.sigmoid(x) }
    @inline(__always) public static func sigmoid(inPlace values: UnsafeMutablePointer<Float>, count: Int) {
        FastMath.sigmoid(inPlace: values, count: count)
    }
    @inline(__always) public static func tanh(inPlace values: UnsafeMutablePointer<Float>, count: Int) {
        FastMath.tanh(inPlace: values, count: count)
    }
}

extension Double: BLASScalar {
    @inline(__always)
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        if m == 1, !transA, transB {  // see `rowTimesTransposed`
            return gemv(m: n, n: k, alpha: alpha, a: b, lda: ldb, x: a, beta: beta, y: c)
        }
        cblas_dgemm(CblasRowMajor, transpose(transA), transpose(transB),
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    @inline(__always)
    public static func gemv(
        m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
    ) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    @inline(__always) public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    public static func sigmoid(inPlace values: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { values[i] = sigmoid(values[i]) }
    }
    public static func tanh(inPlace values: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { values[i] = tanh(values[i]) }
    }
}

/// The number of threads OpenBLAS uses for every later call.
public func setBLASThreadCount(_ count: Int) {
    openblas_set_num_threads(Int32(max(1, count)))
}
