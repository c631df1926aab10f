/// A char-RNN's parameters and gradients: Embedding(V→E) → L recurrent layers of width H →
/// dropout (optional) → Linear(H→V) → softmax cross-entropy at every position.
///
/// Both live in one flat buffer each, laid out by `ParameterLayout` (PyTorch's `state_dict` names
/// and shapes), so zeroing the gradients is one fill, Adam is one loop and a checkpoint is one pass.
/// `Float` trains; `Double` runs the gradient checks through the very same code.
public final class CharRNNModel<Scalar: BLASScalar> {
    public let config: ModelConfig
    public let layout: ParameterLayout
    let parameters: UnsafeMutableBufferPointer<Scalar>
    let gradients: UnsafeMutableBufferPointer<Scalar>

    /// A model initialised as PyTorch initialises it: embedding N(0, 1); recurrent weights and
    /// biases, decoder weight and bias U(−1/√H, 1/√H); layer normalisation's gains 1 and shifts 0
    /// (`TensorSlot.initial`). The weights depend on the seed and the architecture only.
    public init(config: ModelConfig, seed: UInt64) {
        self.config = config
        layout = ParameterLayout(config)
        parameters = .allocate(capacity: layout.totalCount)
        parameters.initialize(repeating: 0)
        gradients = .allocate(capacity: layout.totalCount)
        gradients.initialize(repeating: 0)

        var generator = SplitMix64(seed: seed)
        let bound = 1 / Double(config.hiddenSize).squareRoot()
        for slot in layout.tensors {
            for index in slot.offset..<(slot.offset + slot.count) {
                let value: Double
                switch slot.initial {
                case .normal: value = generator.nextNormal()
                case .uniform: value = (2 * generator.nextUnit() - 1) * bound
                case .constant(let constant): value = constant
                }
                parameters[index] = Scalar(value)
            }
        }
    }

    deinit {
        parameters.deallocate()
        gradients.deallocate()
    }

    public var parameterCount: Int { layout.totalCount }

    public func zeroGradients() {
        gradients.update(repeating: 0)
    }

    /// The parameter tensor `name` (a `TensorSlot` name), as a view into the flat buffer.
    func tensor(_ name: String) -> UnsafeMutableBufferPointer<Scalar>? {
        guard let slot = layout.slot(named: name) else { return nil }
        return UnsafeMutableBufferPointer(rebasing: parameters[slot.offset..<(slot.offset + slot.count)])
    }
}
