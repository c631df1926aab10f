/// Dropout on weights, one mask per window, shared by every stream and step of it:
/// - DropConnect on the recurrent weights (Wan et al. 2013, as AWD-LSTM uses it): each `weight_hh`
///   entry is kept with probability q = 1 − p and scaled by 1/q, or zeroed;
/// - embedding dropout (Gal & Ghahramani 2016): each row of `embedding.weight` — one symbol — is kept
///   and scaled by 1/q, or zeroed, so a dropped symbol reads as zeros wherever it occurs.
///
///     W̃ = W ⊙ s,  s = m / q,  m ~ Bernoulli(q)      forward and backward run on W̃
///     ∂L/∂W = s ⊙ ∂L/∂W̃                            what the optimiser receives
///
/// `mask` overwrites the weights in place (every replica reads the masked copy) after keeping the
/// originals; `unmask` scales the accumulated gradient by s and puts the originals back before the
/// optimiser step. The mask of unit u (an entry, or a row) in window w hashes (seed, w, u): every
/// rank draws the same.
public final class WeightDropout<Scalar: BLASScalar> {
    public enum Target: Sendable {
        case recurrentWeights
        case embeddingRows
    }

    public let target: Target
    public let probability: Double
    private let model: CharRNNModel<Scalar>
    /// Where the masked tensors start in the flat parameters, and their sizes.
    private let offsets: [Int], counts: [Int]
    /// Entries that share one draw: 1 for DropConnect, the embedding width for whole rows.
    private let unitLength: Int
    private let saved: UnsafeMutableBufferPointer<Scalar>
    private let scales: UnsafeMutableBufferPointer<Scalar>
    private var masked = false

    public init(model: CharRNNModel<Scalar>, target: Target, probability: Double) {
        precondition(probability >= 0 && probability < 1, "weight dropout probability outside [0, 1)")
        self.model = model
        self.target = target
        self.probability = probability
        let tensors: [TensorSlot]
        switch target {
        case .recurrentWeights:
            tensors = model.layout.tensors.filter { $0.name.hasPrefix("rnn.weight_hh_") }
            unitLength = 1
        case .embeddingRows:
            tensors = [model.layout.embedding]
            unitLength = model.config.embeddingSize
        }
        offsets = tensors.map(\.offset)
        counts = tensors.map(\.count)
        let total = counts.reduce(0, +)
        saved = .allocate(capacity: total)
        scales = .allocate(capacity: total)
    }

    deinit {
        saved.deallocate()
        scales.deallocate()
    }

    /// Masks the weights for window `window` (a counter that differs between steps).
    public func mask(window: UInt64, seed: UInt64) {
        precondition(!masked, "mask called twice without unmask")
        let keep = 1 - probability
        let scale = Scalar(1 / keep), threshold = UInt64(keep * 0x1p53)
        let parameters = model.parameters.baseAddress!
        let units = UInt64(saved.count / unitLength)
        var j = 0
        var s: Scalar = 0
        // Index loops: no iterator in the per-window path, in any build.
        for r in 0..<offsets.count {
            for i in offsets[r]..<(offsets[r] + counts[r]) {
                if j % unitLength == 0 {
                    let unit = UInt64(j / unitLength)
                    var generator = SplitMix64(seed: seed ^ ((window &* units &+ unit) &* 0x9E37_79B9_7F4A_7C15))
                    s = generator.next() >> 11 < threshold ? scale : 0
                }
                saved[j] = parameters[i]
                scales[j] = s
                parameters[i] *= s
                j += 1
            }
        }
        masked = true
    }

    /// Scales the gradient of the masked weights by the mask and restores the weights.
    public func unmask(gradients: UnsafeMutableBufferPointer<Scalar>) {
        precondition(masked, "unmask without mask")
        let parameters = model.parameters.baseAddress!, g = gradients.baseAddress!
        var j = 0
        for r in 0..<offsets.count {
            for i in offsets[r]..<(offsets[r] + counts[r]) {
                parameters[i] = saved[j]
                g[i] *= scales[j]
                j += 1
            }
        }
        masked = false
    }
}
