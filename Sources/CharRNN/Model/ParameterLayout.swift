/// One named tensor inside a flat buffer.
public struct TensorSlot: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// Where every parameter tensor lives in the model's one flat buffer. The names and shapes are those
/// of the PyTorch `state_dict` of a module with `embedding` (`nn.Embedding(V, E)`), `rnn`
/// (`nn.LSTM`/`nn.GRU`) and `decoder` (`nn.Linear(H, V)`), in that order, so a checkpoint maps onto
/// the buffer one tensor after another. Gradients and Adam's moments use the same layout.
public struct ParameterLayout: Equatable, Sendable {
    public let tensors: [TensorSlot]
    public let totalCount: Int

    public init(_ config: ModelConfig) {
        let (V, E, H, G) = (config.vocabularySize, config.embeddingSize, config.hiddenSize, config.cell.gateCount)
        var shapes: [(String, [Int])] = [("embedding.weight", [V, E])]
        for k in 0..<config.layerCount {
            for direction in 0..<config.directionCount {
                let suffix = direction == 1 ? "_reverse" : ""
                shapes.append(("rnn.weight_ih_l\(k)\(suffix)", [G * H, config.inputSize(ofLayer: k)]))
                shapes.append(("rnn.weight_hh_l\(k)\(suffix)", [G * H, H]))
                shapes.append(("rnn.bias_ih_l\(k)\(suffix)", [G * H]))
                shapes.append(("rnn.bias_hh_l\(k)\(suffix)", [G * H]))
            }
        }
        shapes.append(("decoder.weight", [V, config.outputSize]))
        shapes.append(("decoder.bias", [V]))

        var offset = 0
        var tensors: [TensorSlot] = []
        for (name, shape) in shapes {
            let slot = TensorSlot(name: name, shape: shape, offset: offset)
            tensors.append(slot)
            offset += slot.count
        }
        self.tensors = tensors
        self.totalCount = offset
        directionCount = config.directionCount
    }

    private let directionCount: Int

    public func slot(named name: String) -> TensorSlot? { tensors.first { $0.name == name } }

    /// The four tensors of recurrent layer `k` in `direction` (1: reverse): weight_ih, weight_hh,
    /// bias_ih, bias_hh.
    func recurrentSlots(layer k: Int, direction: Int = 0)
        -> (weightIH: TensorSlot, weightHH: TensorSlot, biasIH: TensorSlot, biasHH: TensorSlot) {
        let base = 1 + 4 * (k * directionCount + direction)
        return (tensors[base], tensors[base + 1], tensors[base + 2], tensors[base + 3])
    }

    var embedding: TensorSlot { tensors[0] }
    var decoderWeight: TensorSlot { tensors[tensors.count - 2] }
    var decoderBias: TensorSlot { tensors[tensors.count - 1] }
}
