/// The architecture of a char-RNN: Embedding(V→E) → L recurrent layers of width H → Linear(H→V).
public struct ModelConfig: Equatable, Sendable {
    public var cell: CellKind
    public var gruVariant: GRUVariant
    public var layerCount: Int
    public var hiddenSize: Int
    public var embeddingSize: Int
    public var vocabularySize: Int
    /// Inverted-dropout probability between layers and before the decoder; 0 disables it.
    public var dropout: Double
    /// Each layer also runs a second direction backwards in time; the two outputs are concatenated.
    public var bidirectional: Bool

    public init(
        cell: CellKind = .lstm, gruVariant: GRUVariant = .resetBefore, layerCount: Int = 2,
        hiddenSize: Int = 128, embeddingSize: Int = 64, vocabularySize: Int, dropout: Double = 0,
        bidirectional: Bool = false
    ) {
        self.cell = cell
        self.gruVariant = gruVariant
        self.layerCount = layerCount
        self.hiddenSize = hiddenSize
        self.embeddingSize = embeddingSize
        self.vocabularySize = vocabularySize
        self.dropout = dropout
        self.bidirectional = bidirectional
    }

    /// 2 for bidirectional layers, else 1.
    public var directionCount: Int { bidirectional ? 2 : 1 }

    /// Width of each layer's output: H, or 2H for bidirectional layers.
    public var outputSize: Int { hiddenSize * directionCount }

    /// Input width of layer `k`: the embedding for the first layer, the layer output below it.
    public func inputSize(ofLayer k: Int) -> Int { k == 0 ? embeddingSize : outputSize }
}
