/// Clipping by the global L2 norm over all parameters:
///
///     ‖g‖ = √(Σ g²);  if ‖g‖ > limit: g ← g · limit / ‖g‖
///
/// Returns the norm before clipping (the trainer logs it). A limit of 0 disables clipping.
@discardableResult
func clipGradientNorm(_ gradients: UnsafeMutableBufferPointer<Float>, limit: Double) -> Double {
    var sum = 0.0
    for g in gradients { sum += Double(g) * Double(g) }
    let norm = sum.squareRoot()
    if limit > 0, norm > limit {
        let scale = Float(limit / norm)
        for i in gradients.indices { gradients[i] *= scale }
    }
    return norm
}
