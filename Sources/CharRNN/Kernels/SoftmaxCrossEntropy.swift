/// Softmax cross-entropy over the rows of a (rows, V) logits matrix, fused with its backward.
///
///     p = softmax(z) = e^{z − max z} / Σ e^{z − max z}      loss_r = log Σ e^{z} − z[y_r]
///     ∂(mean loss)/∂z_r = (p_r − onehot(y_r)) / rows
enum SoftmaxCrossEntropy {
    /// Replaces `logits` with probabilities and returns the summed loss over the rows; each row's
    /// loss also goes to `rowLosses` when given. Float logits on a vector kernel path go to that
    /// path's loop (`softmax_cross_entropy`, the same equations on whole vectors).
    @inline(__always)
    static func forward<Scalar: BLASScalar>(
        logits: UnsafeMutablePointer<Scalar>, targets: UnsafePointer<Int32>, rows: Int, classes V: Int,
        rowLosses: UnsafeMutablePointer<Double>? = nil
    ) -> Double {
        if Scalar.self == Float.self, let kernels = RecurrentKernels.kernels {
            let floats = UnsafeMutableRawPointer(logits).assumingMemoryBound(to: Float.self)
            return kernels.pointee.softmax_cross_entropy(floats, targets, Int64(rows), Int64(V), rowLosses)
        }
        var total = 0.0
        for r in 0..<rows {
            let z = logits + r * V
            var peak = z[0]
            for j in 1..<V where z[j] > peak { peak = z[j] }
            let target = Int(targets[r])
            let shiftedTarget = z[target] - peak
            var sum: Scalar = 0
            for j in 0..<V {
                let e = Scalar.exp(z[j] - peak)
                z[j] = e
                sum += e
            }
            let loss = Double(Scalar.log(sum) - shiftedTarget)
            rowLosses?[r] = loss
            total += loss
            let inverse = 1 / sum
            for j in 0..<V { z[j] *= inverse }
        }
        return total
    }

    /// Turns the probabilities left by `forward` into the gradient of the mean loss over `rows`.
    @inline(__always)
    static func backward<Scalar: BLASScalar>(
        probabilities: UnsafeMutablePointer<Scalar>, targets: UnsafePointer<Int32>, rows: Int, classes V: Int
    ) {
        let scale = 1 / Scalar(rows)
        for r in 0..<rows {
            let p = probabilities + r * V
            p[Int(targets[r])] -= 1
            for j in 0..<V { p[j] *= scale }
        }
    }
}
