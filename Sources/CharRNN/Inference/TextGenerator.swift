import Foundation
/// Batch-1 inference from a trained model: one step of the recurrence per generated character,
/// the state carried (a prefix is never re-run), with its own one-character network (or, with f16
/// weights, a half-precision step). A long prime is run through the model in windows first (`prime`).
/// An ensemble's generator steps every member on the same characters and reads their mixture (`Mixture`).
public final class TextGenerator {
    public let model: CharRNNModel<Float>
    public let vocabulary: Vocabulary
    public let normalization: Normalization
    let network: UnrolledNetwork<Float>
    /// The half-precision step that replaces `network` when the weights are f16.
    let halfStep: HalfPrecisionStep?
    /// OpenBLAS's threads as the caller set them, given back to a long prime's windows.
    let threads: Int
    /// An ensemble's other members, fed in step with this one; `logits` is then the mixture's
    /// log-probabilities, kept in `mixed`.
    let partners: [TextGenerator]
    private let mixed: UnsafeMutableBufferPointer<Float>?
    private let normalisers: UnsafeMutableBufferPointer<Double>?
    /// Characters per window when priming: long enough that the per-window work is amortised,
    /// short enough that its activations stay in cache.
    static let primeWindow = 256

    /// The state after a prime (or any point of a generation), to start several samples from.
    public struct State: Sendable {
        let h: [Float], c: [Float], logits: [Float]
        /// An ensemble's other members' states.
        var partners: [State] = []
    }

    public convenience init(checkpoint: Checkpoint, weights: WeightPrecision = .f32, threads: Int = 1) {
        self.init(model: checkpoint.makeModel(), vocabulary: checkpoint.vocabulary, normalization: checkpoint.normalization,
                  weights: weights, threads: threads)
    }

    /// One generator for an ensemble's members (of one vocabulary), or for one model. An ensemble's
    /// members step one after another on one thread: two LSTM 2×512 members (26 MB of weights read per
    /// character, past the cache) sampled 1,589 / 1,585 chars/s so, 1,204 / 1,461 with each member on a
    /// thread of its own, and 723 with every member's step split (Zen 4, 2026-12-06; one member alone:
    /// 4,731 / 4,237 chars/s on one thread).
    public convenience init(ensemble members: [Checkpoint], weights: WeightPrecision = .f32, threads: Int = 1) {
        precondition(!members.isEmpty, "an ensemble needs a member")
        guard members.count > 1 else {
            self.init(checkpoint: members[0], weights: weights, threads: threads)
            return
        }
        let partners = members.dropFirst().map { TextGenerator(checkpoint: $0, weights: weights, threads: 1) }
        let first = members[0]
        self.init(model: first.makeModel(), vocabulary: first.vocabulary, normalization: first.normalization,
                  weights: weights, threads: 1, partners: partners)
    }

    /// `threads`: OpenBLAS's threads (`setBLASThreadCount`), which decide the f32 step's path
    /// (`splitsSteps`). A generator that splits its steps sets OpenBLAS to one
    /// thread while it steps: its step partner is the second core, and OpenBLAS's threads, waiting
    /// for work on it, halved the split step's speed (measured below).
    public init(model: CharRNNModel<Float>, vocabulary: Vocabulary, normalization: Normalization,
                weights: WeightPrecision = .f32, threads: Int = 1, partners: [TextGenerator] = []) {
        precondition(model.config.vocabularySize == vocabulary.count, "model and vocabulary sizes differ")
        precondition(partners.allSatisfy { $0.vocabulary == vocabulary }, "ensemble members' vocabularies differ")
        self.partners = partners
        mixed = partners.isEmpty ? nil : .allocate(capacity: vocabulary.count)
        normalisers = partners.isEmpty ? nil : .allocate(capacity: partners.count + 1)
        self.model = model
        self.vocabulary = vocabulary
        self.normalization = normalization
        self.threads = threads
        // Not for f16 weights, whose half step replaces the network's.
        network = UnrolledNetwork(model: model, batchSize: 1, steps: 1, withGradients: false,
                                  fixedWeights: weights == .f32,
                                  splittingSteps: weights == .f32 && Self.splitsSteps(threads: threads))
        if network.splitsSteps { setBLASThreadCount(1) }
        let stepThreads = Self.splitsSteps(threads: threads) ? 2 : 1
        halfStep = weights == .f16 ? HalfPrecisionStep(model: model, threads: stepThreads) : nil
    }

    deinit {
        mixed?.deallocate()
        normalisers?.deallocate()
    }

    /// Models whose probabilities are mixed: 1, or an ensemble's members.
    public var memberCount: Int { 1 + partners.count }

    /// Whether the f32 step, which runs on weights packed once (a fixed-weight network: charnn's
    /// packed kernels, as the server's), is split between two threads (`UnrolledNetwork`'s
    /// `splittingSteps`), whatever the model's size: whenever the caller gives more than one thread (the
    /// server's batcher and `charnn bench --mode serve` follow the same rule). `charnn bench --mode sample`,
    /// Zen 4, 2026-12-06, split over 2 threads / one thread, chars/s, three rounds alternating: LSTM
    /// 3×512 5,004 / 2,332, 4,228 / 2,469, 5,013 / 2,389; GRU 3×512 4,129 / 3,735, 7,384 / 3,872,
    /// 8,731 / 3,969; LSTM 2×256 24,455 / 25,371, 39,586 / 24,572, 41,766 / 25,778; LSTM 2×128
    /// 117,064 / 68,829, 132,851 / 87,048, 134,374 / 91,455; GRU 2×128 136,667 / 93,140, 138,979 /
    /// 117,403, 150,852 / 112,613. The path it replaced, two OpenBLAS `gemv` threads above 2 M
    /// parameters: LSTM 3×512 2,439–3,618, GRU 3×512 5,099–6,395; the split with OpenBLAS left at two
    /// threads (whose waiting threads took the partner's core): LSTM 3×512 1,849–2,785.
    static func splitsSteps(threads: Int) -> Bool {
        threads > 1
    }

    /// How a character's step runs, as `charnn bench --mode sample` names it: `packed` (charnn's
    /// kernels on weights packed once), `packed, split over 2 threads`, `f16`, `f16, products split
    /// over 2 threads`, or `generic` (no packed path).
    public var stepName: String {
        if let halfStep { return halfStep.splitsProducts ? "f16, products split over 2 threads" : "f16" }
        if network.splitsSteps { return "packed, split over 2 threads" }
        return PackedRecurrentKernels<Float>.isUsed(hidden: model.config.hiddenSize, steps: .max) ? "packed" : "generic"
    }

    /// Back to the zero state.
    public func reset() {
        resetOwn()
        for partner in partners { partner.resetOwn() }
    }

    private func resetOwn() {
        network.resetState()
        halfStep?.reset()
    }

    /// Advances the state by one character; `logits` then scores the character after it.
    public func feed(_ id: Int32) {
        feedOwn(id)
        for partner in partners { partner.feedOwn(id) }
        mix()
    }

    /// `feed` of this model alone.
    private func feedOwn(_ id: Int32) {
        if let halfStep { return halfStep.feed(id) }
        network.inputs[0] = id
        network.computeLogits()
    }

    /// The decoder's logits for the next character, after `feed` or `prime` (an ensemble's: the
    /// mixture's log-probabilities).
    public var logits: UnsafeBufferPointer<Float> { mixed.map(UnsafeBufferPointer.init) ?? ownLogits }

    private var ownLogits: UnsafeBufferPointer<Float> { UnsafeBufferPointer(halfStep?.logits ?? network.logits) }

    /// An ensemble's `logits` from every member's.
    private func mix() {
        guard let mixed, let normalisers else { return }
        Mixture.logProbabilities(count: memberCount, member: { $0 == 0 ? ownLogits : partners[$0 - 1].ownLogits },
                                 normalisers: normalisers, into: mixed)
    }

    /// The recurrent state (L, 1, H): hidden, and cell for the LSTM (an ensemble's first member's).
    public var state: (h: [Float], c: [Float]) {
        halfStep?.state ?? (Array(network.stateH), Array(network.stateC))
    }

    public func saveState() -> State {
        let (h, c) = state
        return State(h: h, c: c, logits: Array(ownLogits), partners: partners.map { $0.saveState() })
    }

    public func restore(_ saved: State) {
        restoreOwn(saved)
        for (partner, state) in zip(partners, saved.partners) { partner.restoreOwn(state) }
        mix()
    }

    private func restoreOwn(_ saved: State) {
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
        primeOwn(ids)
        for partner in partners { partner.primeOwn(ids) }
        mix()
    }

    /// `prime` of this model alone, from `context`'s ids.
    private func primeOwn(_ ids: [Int32]) {
        resetOwn()
        guard ids.count > Self.primeWindow, halfStep == nil else {
            for id in ids { feedOwn(id) }
            return
        }
        // A long prime's windows run OpenBLAS's products: on all the caller's threads, then back to
        // one for the split steps.
        if network.splitsSteps { setBLASThreadCount(threads) }
        defer { if network.splitsSteps { setBLASThreadCount(1) } }
        let pass = WindowedPass(model: model, window: Self.primeWindow)
        if let last = pass.run(positions: ids.count - 1, { network, range in
            for (t, i) in range.enumerated() { network.inputs[t] = ids[i] }
            network.advance()
        }) {
            _ = network.stateH.update(fromContentsOf: last.stateH)
            _ = network.stateC.update(fromContentsOf: last.stateC)
        }
        feedOwn(ids[ids.count - 1])
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
