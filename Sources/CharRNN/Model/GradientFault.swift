/// A wrong backward pass, switched on only by the tests that prove the gradient check can fail.
enum GradientFault: Sendable {
    case none
    /// The gradient reaching h_{t−1} through the recurrent weights is dropped.
    case dropRecurrentTerm
    /// A normalised cell's cell-state normalisation is back-propagated as if it were the identity.
    case skipCellNormalizationGradient
}
