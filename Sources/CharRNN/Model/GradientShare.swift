/// One thread's part of a window's weight gradients: part `index` of `count` of every tensor's
/// output rows (the rows of dW, the entries of a bias). Replicas that train at once sum their
/// gradients into one buffer this way (`StreamReplicas`): each thread adds every replica's
/// contribution to its own rows, so no two threads write the same value and none needs a buffer
/// of its own.
struct GradientShare: Sendable {
    let index: Int
    let count: Int

    /// All of every tensor: one thread, or a network that trains alone.
    static let whole = GradientShare(index: 0, count: 1)

    /// This part of `n` rows.
    func range(of n: Int) -> Range<Int> {
        (n * index / count)..<(n * (index + 1) / count)
    }
}
