/// Branch-free float32 exp, sigmoid and tanh for the gate loops: no libm calls, so the compiler
/// can inline and vectorise them. Accuracy (checked against libm in `FastMathTests`): exp within
/// 3e-7 relative on [−87, 88]; sigmoid and tanh within 2e-7 absolute and, for tanh, 1e-6 relative.
enum FastMath {
    /// e^x = 2^n · e^r with n = round(x / ln 2), r = x − n·ln 2 ∈ [−ln2/2, ln2/2] (ln 2 split in a
    /// high and a low part), e^r by its degree-6 Taylor polynomial (truncation < 1.2e-7 relative).
    /// x is clamped to [−87.3, 88] so that 2^n stays a normal, finite float.
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        let x = Swift.min(Swift.max(x, -87.3), 88)
        // Adding 1.5·2²³ rounds x/ln 2 to an integer held in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6
        var p: Float = 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let exponent = (shifted.bitPattern &- magic.bitPattern) &+ 127
        return p * Float(bitPattern: exponent << 23)
    }

    /// σ(x) = 1 / (1 + e^−x).
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        1 / (1 + exp(-x))
    }

    /// tanh x = sign(x) · (1 − e^−2|x|) / (1 + e^−2|x|); below |x| = 1/16, where that difference
    /// loses relative precision, the series x − x³/3 + 2x⁵/15 (error < 3e-10).
    @inline(__always)
    static func tanh(_ x: Float) -> Float {
        let a = abs(x)
        let e = exp(-2 * a)
        let large = (1 - e) / (1 + e)
        let x2 = x * x
        let small = x * (1 + x2 * (-1.0 / 3 + x2 * (2.0 / 15)))
        return a < 0.0625 ? small : (x < 0 ? -large : large)
    }
}

/// In-place activations of contiguous gate blocks: plain loops over the branch-free kernels, which
/// the compiler vectorises.
extension FastMath {
    @inline(__always)
    static func sigmoid(inPlace values: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { values[i] = sigmoid(values[i]) }
    }

    @inline(__always)
    static func tanh(inPlace values: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { values[i] = tanh(values[i]) }
    }
}
