/// DropConnect on the recurrent weights (Wan et al. 2013, as AWD-LSTM uses it): for one window
/// every `weight_hh` entry is kept with probability q = 1 − p and scaled by 1/q, or zeroed, the
/// same mask for every stream and step of the window.
///
///     W̃ = W ⊙ s,  s = m / q,  m ~ Bernoulli(q)      forward and backward run on W̃
///     ∂L/∂W = s ⊙ ∂L/∂W̃                            what the optimiser receives
///
/// `mask` overwrites the weights in place (every replica reads the masked copy) after keeping the
/// originals; `unmask` scales the accumulated gradient by s and puts the originals back before the
/// optimiser step. The mask of entry i in window w hashes (seed, w, i): every rank draws the same.
public final class RecurrentDropConnect<Scalar: BLASScalar> {
    public let probability: Double
    private let model: CharRNNModel<Scalar>
    /// Where the `weight_hh` tensors start in the flat parameters, and their sizes.
    private let offsets: [Int], counts: [Int]
    private let saved: UnsafeMutableBufferPointer<Scalar>
    private let scales: UnsafeMutableBufferPointer<Scalar>
    private var masked = false

    public init(model: CharRNNModel<Scalar>, probability: Double) {
        precondition(probability >= 0 && probability < 1, "DropConnect probability outside [0, 1)")
        self.model = model
        self.probability = probability
        let recurrent = model.layout.tensors.filter { $0.name.hasPrefix("rnn.weight_hh_") }
        offsets = recurrent.map(\.offset)
        counts = recurrent.map(\.count)
        let total = counts.reduce(0, +)
        saved = .allocate(capacity: total)
        scales = .allocate(capacity: total)
    }

    deinit {
        saved.deallocate()
        scales.deallocate()
    }

    /// Masks the recurrent weights for window `window` (a counter that differs between steps).
    public func mask(window: UInt64, seed: UInt64) {
        precondition(!masked, "mask called twice without unmask")
        let keep = 1 - probability
        let scale = Scalar(1 / keep), threshold = UInt64(keep * 0x1p53)
        let parameters = model.parameters.baseAddress!
        let total = UInt64(saved.count)
        var j = 0
        // Index loops: no iterator in the per-window path, in any build.
        for r in 0..<offsets.count {
            for i in offsets[r]..<(offsets[r] + counts[r]) {
                var generator = SplitMix64(seed: seed ^ ((window &* total &+ UInt64(j)) &* 0x9E37_79B9_7F4A_7C15))
                let s: Scalar = generator.next() >> 11 < threshold ? scale : 0
                saved[j] = parameters[i]
                scales[j] = s
                parameters[i] *= s
                j += 1
            }
        }
        masked = true
    }

    /// Scales the gradient of the recurrent weights by the mask and restores the weights.
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
