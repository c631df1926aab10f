import CKernels

/// Clipping by the global L2 norm over all parameters:
///
///     ‖g‖ = √(Σ g²);  if ‖g‖ > limit: g ← g · limit / ‖g‖
///
/// Returns the norm before clipping (the trainer logs it). A limit of 0 disables clipping.
@discardableResult
func clipGradientNorm(_ gradients: UnsafeMutableBufferPointer<Float>, limit: Double) -> Double {
    // On a vector kernel path, that path's loops (`sum_of_squares`, `scale`).
    let kernels = RecurrentKernels.kernels?.pointee
    var sum = 0.0
    if let kernels {
        sum = kernels.sum_of_squares(gradients.baseAddress, Int64(gradients.count))
    } else {
        for g in gradients { sum += Double(g) * Double(g) }
    }
    let norm = sum.squareRoot()
    if limit > 0, norm > limit {
        let scale = Float(limit / norm)
        if let kernels { kernels.scale(gradients.baseAddress, Int64(gradients.count), scale) }
        else { for i in gradients.indices { gradients[i] *= scale } }
    }
    return norm
}
