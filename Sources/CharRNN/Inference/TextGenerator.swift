/// Batch-1 inference from a trained model: one step of the recurrence per character, the state
/// carried (a prefix is never re-run), with its own one-character network.
public final class TextGenerator {
    public let model: CharRNNModel<Float>
    public let vocabulary: Vocabulary
    public let normalization: Normalization
    let network: UnrolledNetwork<Float>
    /// The half-precision step that replaces `network` when the weights are f16.
    let halfStep: HalfPrecisionStep?

    public convenience init(checkpoint: Checkpoint, weights: WeightPrecision = .f32) {
        self.init(model: checkpoint.makeModel(), vocabulary: checkpoint.vocabulary, normalization: checkpoint.normalization,
                  weights: weights)
    }

    public init(model: CharRNNModel<Float>, vocabulary: Vocabulary, normalization: Normalization,
                weights: WeightPrecision = .f32) {
        precondition(model.config.vocabularySize == vocabulary.count, "model and vocabulary sizes differ")
        self.model = model
        self.vocabulary = vocabulary
        self.normalization = normalization
        network = UnrolledNetwork(model: model, batchSize: 1, steps: 1, withGradients: false)
        halfStep = weights == .f16 ? HalfPrecisionStep(model: model) : nil
    }

    /// Back to the zero state.
    public func reset() {
        network.resetState()
        halfStep?.reset()
    }

    /// Advances the state by one character; `logits` then scores the character after it.
    public func feed(_ id: Int32) {
        if let halfStep { return halfStep.feed(id) }
        network.inputs[0] = id
        network.computeLogits()
    }

    /// The decoder's logits for the next character, after `feed`.
    var logits: UnsafeBufferPointer<Float> { UnsafeBufferPointer(halfStep?.logits ?? network.logits) }

    /// The recurrent state (L, 1, H): hidden, and cell for the LSTM.
    public var state: (h: [Float], c: [Float]) {
        halfStep?.state ?? (Array(network.stateH), Array(network.stateC))
    }

    /// The context fed when there is no prime: a line break when the vocabulary has one (text
    /// starts as after a line), otherwise the first character of the vocabulary. Never printed.
    public var defaultContext: Int32 { Self.defaultContext(vocabulary) }

    static func defaultContext(_ vocabulary: Vocabulary) -> Int32 {
        vocabulary.id(of: "\n") ?? 0
    }

    /// What a generation feeds before its first pick: the prime, or the default context. The
    /// serving batcher feeds exactly this too, so a seed gives the same text there as here.
    static func context(prime: [Int32], vocabulary: Vocabulary) -> [Int32] {
        prime.isEmpty ? [defaultContext(vocabulary)] : prime
    }

    /// Generates `length` characters after feeding `prime` (or `defaultContext` when empty), from
    /// a zero state, handing the bytes of each character to `emit` (which returns false to stop).
    /// Stops early after `stop` appears in the generated text.
    public func generate(prime: [Int32], length: Int, picker: inout TokenPicker, generator: inout SplitMix64,
                         stop: [UInt8] = [], emit: ([UInt8]) -> Bool) {
        reset()
        for id in Self.context(prime: prime, vocabulary: vocabulary) { feed(id) }
        var bytes: [UInt8] = []
        var tail: [UInt8] = []
        bytes.reserveCapacity(4)
        for _ in 0..<length {
            let id = picker.pick(logits: logits, using: &generator)
            bytes.removeAll(keepingCapacity: true)
            vocabulary.appendUTF8(of: id, to: &bytes)
            guard emit(bytes) else { return }
            if !stop.isEmpty {
                tail.append(contentsOf: bytes)
                if tail.count > stop.count { tail.removeFirst(tail.count - stop.count) }
                if tail == stop { return }
            }
            feed(id)
        }
    }
}
