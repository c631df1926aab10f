/// One named tensor inside a flat buffer.
public struct TensorSlot: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    /// Its value in a new model.
    public var initial: TensorInitialisation = .uniform
    public var count: Int { shape.reduce(1, *) }
}

/// How a new model fills a tensor (`CharRNNModel.init`).
public enum TensorInitialisation: Equatable, Sendable {
    /// N(0, 1): the embedding, as `nn.Embedding`.
    case normal
    /// U(−1/√H, 1/√H): PyTorch's recurrent and linear layers.
    case uniform
    /// Every entry the same value (layer normalisation's gains 1 and shifts 0); draws nothing, so
    /// the other tensors' values do not depend on it.
    case constant(Double)
}

/// Where every parameter tensor lives in the model's one flat buffer. The names and shapes are those
/// of the PyTorch `state_dict` of a module with `embedding` (`nn.Embedding(V, E)`), `rnn`
/// (`nn.LSTM`/`nn.GRU`) and `decoder` (`nn.Linear(H, V)`), in that order, so a checkpoint maps onto
/// the buffer one tensor after another. Gradients and Adam's moments use the same layout.
public struct ParameterLayout: Equatable, Sendable {
    public let tensors: [TensorSlot]
    public let totalCount: Int

    public init(_ config: ModelConfig) {
        let (V, E, H) = (config.vocabularySize, config.embeddingSize, config.hiddenSize)
        var shapes = [RecurrentTensorShape(name: "embedding.weight", shape: [V, E], initial: .normal)]
        for k in 0..<config.layerCount {
            for direction in 0..<config.directionCount {
                let suffix = direction == 1 ? "_reverse" : ""
                for tensor in config.cell.recurrentTensors(input: config.inputSize(ofLayer: k), hidden: H) {
                    shapes.append(RecurrentTensorShape(name: "rnn.\(tensor.name)_l\(k)\(suffix)", shape: tensor.shape,
                                                       initial: tensor.initial))
                }
            }
        }
        shapes.append(RecurrentTensorShape(name: "decoder.weight", shape: [V, config.outputSize]))
        shapes.append(RecurrentTensorShape(name: "decoder.bias", shape: [V]))

        var offset = 0
        var tensors: [TensorSlot] = []
        for tensor in shapes {
            let slot = TensorSlot(name: tensor.name, shape: tensor.shape, offset: offset, initial: tensor.initial)
            tensors.append(slot)
            offset += slot.count
        }
        self.tensors = tensors
        self.totalCount = offset
        directionCount = config.directionCount
        tensorsPerLayer = config.cell.recurrentTensors(input: 1, hidden: 1).count
    }

    private let directionCount: Int
    private let tensorsPerLayer: Int

    public func slot(named name: String) -> TensorSlot? { tensors.first { $0.name == name } }

    /// The tensors of recurrent layer `k` in `direction` (1: reverse): weight_ih, weight_hh,
    /// bias_ih, bias_hh, then the cell's own (`CellKind.recurrentTensors`), contiguous.
    func recurrentSlots(layer k: Int, direction: Int = 0)
        -> (weightIH: TensorSlot, weightHH: TensorSlot, biasIH: TensorSlot, biasHH: TensorSlot, extra: ArraySlice<TensorSlot>) {
        let base = 1 + tensorsPerLayer * (k * directionCount + direction)
        return (tensors[base], tensors[base + 1], tensors[base + 2], tensors[base + 3],
                tensors[(base + 4)..<(base + tensorsPerLayer)])
    }

    var embedding: TensorSlot { tensors[0] }
    var decoderWeight: TensorSlot { tensors[tensors.count - 2] }
    var decoderBias: TensorSlot { tensors[tensors.count - 1] }
}
