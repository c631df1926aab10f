/// Batch-1 inference from a trained model: one step of the recurrence per generated character,
/// the state carried (a prefix is never re-run), with its own one-character network (or, with f16
/// weights, a half-precision step). A long prime is run through the model in windows first (`prime`).
public final class TextGenerator {
    public let model: CharRNNModel<Float>
    public let vocabulary: Vocabulary
    public let normalization: Normalization
    let network: UnrolledNetwork<Float>
    /// The half-precision step that replaces `network` when the weights are f16.
    let halfStep: HalfPrecisionStep?
    /// Characters per window when priming: long enough that the per-window work is amortised,
    /// short enough that its activations stay in cache.
    static let primeWindow = 256

    /// The state after a prime (or any point of a generation), to start several samples from.
    public struct State: Sendable {
        let h: [Float], c: [Float], logits: [Float]
    }

    public convenience init(checkpoint: Checkpoint, weights: WeightPrecision = .f32, threads: Int = 1) {
        self.init(model: checkpoint.makeModel(), vocabulary: checkpoint.vocabulary, normalization: checkpoint.normalization,
                  weights: weights, threads: threads)
    }

    /// `threads`: OpenBLAS's threads (`setBLASThreadCount`), which decide the f32 step's path
    /// (`usesPackedStep`).
    public init(model: CharRNNModel<Float>, vocabulary: Vocabulary, normalization: Normalization,
                weights: WeightPrecision = .f32, threads: Int = 1) {
        precondition(model.config.vocabularySize == vocabulary.count, "model and vocabulary sizes differ")
        self.model = model
        self.vocabulary = vocabulary
        self.normalization = normalization
        // Not for f16 weights, whose half step replaces the network's.
        network = UnrolledNetwork(model: model, batchSize: 1, steps: 1, withGradients: false,
                                  fixedWeights: weights == .f32 && Self.usesPackedStep(model: model, threads: threads))
        halfStep = weights == .f16 ? HalfPrecisionStep(model: model) : nil
    }

    /// Whether the f32 step runs on weights packed once (a fixed-weight network: charnn's packed kernels
    /// on one thread, as the server's) rather than OpenBLAS's `gemv` on `threads`. The packed step
    /// wins on one thread at every size measured and on two up to about 2 M parameters; above that two
    /// `gemv` threads win (`charnn bench --mode sample`, Zen 4, 2026-12-06, chars/s, gemv / packed:
    /// one thread LSTM 2×128 43,475 / 81,527, 3×512 729 / 1,759, GRU 3×512 1,939 / 3,234; two threads
    /// LSTM 2×256 23,227 / 21,387 and 24,162 / 23,247, 3×256 13,475 / 15,361, 2×512 5,669 / 3,946,
    /// 3×512 2,013 / 1,906).
    static func usesPackedStep(model: CharRNNModel<Float>, threads: Int) -> Bool {
        threads == 1 || model.parameterCount <= 2_000_000
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

    /// The decoder's logits for the next character, after `feed` or `prime`.
    public var logits: UnsafeBufferPointer<Float> { UnsafeBufferPointer(halfStep?.logits ?? network.logits) }

    /// The recurrent state (L, 1, H): hidden, and cell for the LSTM.
    public var state: (h: [Float], c: [Float]) {
        halfStep?.state ?? (Array(network.stateH), Array(network.stateC))
    }

    public func saveState() -> State {
        let (h, c) = state
        return State(h: h, c: c, logits: Array(logits))
    }

    public func restore(_ saved: State) {
        if let halfStep { return halfStep.restore(h: saved.h, c: saved.c, logits: saved.logits) }
        _ = network.stateH.update(fromContentsOf: saved.h)
        _ = network.stateC.update(fromContentsOf: saved.c)
        _ = network.logits.update(fromContentsOf: saved.logits)
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

    /// From the zero state, runs `ids` (or `defaultContext` when empty) through the model, so that
    /// `logits` then scores the character after the prime. A prime of up to `primeWindow` characters
    /// is fed step by step (as the server feeds it, so a seed gives the same text there); a longer
    /// one runs all but its last character in windows through the recurrent layers only, at the
    /// speed of a training forward, then the last as a step: the same state up to float rounding.
    public func prime(_ ids: [Int32]) {
        let ids = Self.context(prime: ids, vocabulary: vocabulary)
        reset()
        guard ids.count > Self.primeWindow, halfStep == nil else {
            for id in ids { feed(id) }
            return
        }
        let pass = WindowedPass(model: model, window: Self.primeWindow)
        if let last = pass.run(positions: ids.count - 1, { network, range in
            for (t, i) in range.enumerated() { network.inputs[t] = ids[i] }
            network.advance()
        }) {
            _ = network.stateH.update(fromContentsOf: last.stateH)
            _ = network.stateC.update(fromContentsOf: last.stateC)
        }
        feed(ids[ids.count - 1])
    }

    /// Generates `length` characters after `prime` (see `prime(_:)`), handing the bytes of each to
    /// `emit` (which returns false to stop). Stops early after `stop` appears in the generated text.
    public func generate(prime: [Int32], length: Int, picker: inout TokenPicker, generator: inout SplitMix64,
                         stop: [UInt8] = [], emit: ([UInt8]) -> Bool) {
        self.prime(prime)
        generate(length: length, picker: &picker, generator: &generator, stop: stop) { _, bytes, _ in emit(bytes) }
    }

    /// Generates `length` characters from the current state (after `prime` or `restore`). `emit`
    /// receives each character's id, its bytes and the logits it was drawn from, and returns false
    /// to stop. Stops early after `stop` appears in the generated text.
    public func generate(length: Int, picker: inout TokenPicker, generator: inout SplitMix64, stop: [UInt8] = [],
                         emit: (Int32, [UInt8], UnsafeBufferPointer<Float>) -> Bool) {
        var bytes: [UInt8] = []
        var tail: [UInt8] = []
        bytes.reserveCapacity(4)
        for _ in 0..<length {
            let id = picker.pick(logits: logits, using: &generator)
            bytes.removeAll(keepingCapacity: true)
            vocabulary.appendUTF8(of: id, to: &bytes)
            guard emit(id, bytes, logits) else { return }
            if !stop.isEmpty {
                tail.append(contentsOf: bytes)
                if tail.count > stop.count { tail.removeFirst(tail.count - stop.count) }
                if tail == stop { return }
            }
            feed(id)
        }
    }
}
