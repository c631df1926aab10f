import Foundation

/// The one model a server serves, and everything it does with it: generation through the
/// continuous batcher, sessions, scoring, restoration and activation traces. Everything here is
/// independent of HTTP; the server maps requests onto it.
///
/// Generation runs on the batcher's thread; scoring, restoration and traces run one at a time on
/// their own serial queue (their networks are made per call, the restorer's are cached), so
/// neither blocks the caller's threads.
public final class ServedModel: @unchecked Sendable {
    public let name: String
    public let config: ModelConfig
    public let vocabulary: Vocabulary
    public let normalization: Normalization
    public let task: TrainingTask
    public let training: TrainingRecord?
    public let parameterCount: Int
    /// The precision of the weight matrices generation, scores and traces read.
    public let weights: WeightPrecision
    /// Generation and sessions: language models only.
    public let batcher: ContinuousBatcher?
    public let sessions: SessionStore?

    /// Longest text `score` and `restore` accept, in characters.
    public static let maxAnalysedCharacters = 65_536
    /// Most numbers an activation trace returns (characters × hidden units): 4 MiB of Float32.
    public static let maxTracedValues = 1 << 20

    private let model: CharRNNModel<Float>
    private let restorer: Restorer?
    private let analysis = DispatchQueue(label: "charnn-analysis")

    /// With f16 weights (a model that `generatesText` only), generation runs the half-precision step
    /// and scores and traces read the matrices rounded to half (as `charnn sample` and `charnn eval`
    /// with `--weights f16`). Each generation step runs on `threads` threads (`ContinuousBatcher.threads`).
    public init(checkpoint: Checkpoint, name: String, maxStreams: Int, maxSessions: Int,
                sessionTimeToLive: Duration, weights: WeightPrecision = .f32, threads: Int = 1) throws {
        self.name = name
        config = checkpoint.config
        vocabulary = checkpoint.vocabulary
        normalization = checkpoint.normalization
        task = checkpoint.task
        training = checkpoint.training
        model = checkpoint.makeModel()
        parameterCount = model.parameterCount
        self.weights = weights
        if weights == .f16 {
            precondition(Self.generatesText(checkpoint), "f16 weights serve a language model that generates text")
            HalfPrecisionStep.roundMatricesToHalf(model)
        }
        if Self.generatesText(checkpoint) {
            let batcher = ContinuousBatcher(model: model, vocabulary: vocabulary, maxStreams: maxStreams, weights: weights,
                                            threads: threads)
            self.batcher = batcher
            sessions = SessionStore(config: config, maxSessions: maxSessions, timeToLive: sessionTimeToLive)
            restorer = nil
        } else {
            batcher = nil
            sessions = nil
            restorer = try Restorer(checkpoint: checkpoint, path: name)
        }
    }

    public var isLanguageModel: Bool { batcher != nil }

    /// Whether the checkpoint's model generates text (a forward language model): what completions,
    /// sessions and f16 weights need.
    public static func generatesText(_ checkpoint: Checkpoint) -> Bool {
        checkpoint.task == .lm && !checkpoint.config.bidirectional
    }

    /// The ids of `text`'s known characters. Unknown ones are refused (listed once each), unless
    /// `skipUnknown`, when they are left out and counted.
    public func encode(_ text: String, skipUnknown: Bool) throws(ServingError) -> (ids: [Int32], unknown: Int) {
        let (ids, unknown) = vocabulary.encode(text, normalization: normalization)
        if !unknown.isEmpty && !skipUnknown {
            var seen = Set<Unicode.Scalar>()
            throw .unknownCharacters(unknown.filter { seen.insert($0).inserted })
        }
        return (ids, unknown.count)
    }

    /// A generation from a fresh state after `prime`, as `charnn sample`.
    public func generate(prime: [Int32], settings: GenerationSettings) throws(ServingError) -> Generation {
        guard let batcher else { throw .notLanguageModel(task: task.rawValue) }
        return try batcher.submit(prime: prime, settings: settings)
    }

    /// A generation from a session's state after `prime`; the session then stands after the
    /// generated text. The session is busy until the stream ends (or is dropped).
    public func generate(session id: String, prime: [Int32],
                         settings: GenerationSettings) throws(ServingError) -> Generation {
        guard let batcher, let sessions else { throw .notLanguageModel(task: task.rawValue) }
        let state = try sessions.checkOut(id)
        let generation: Generation
        do {
            generation = try batcher.submit(prime: prime, from: state, settings: settings)
        } catch {
            sessions.release(id)
            throw error
        }
        // Pass the events on and keep the final state; a cancelled generation leaves the session as it was.
        let relay = GenerationEvents()
        let continuation = relay
        relay.setOnCancel { generation.cancel() }
        Task {
            var finalState: RecurrentState?
            for await event in generation.events {
                if case .finished(_, _, let state) = event { finalState = state }
                continuation.yield(event)
            }
            if let finalState { sessions.checkIn(id, state: finalState) } else { sessions.release(id) }
            continuation.finish()
        }
        return Generation(events: relay, cancel: generation.cancel)
    }

    /// Moves a session's state through `text` (no generation).
    public func feed(session id: String, text ids: [Int32]) async throws(ServingError) {
        let generation = try generate(session: id, prime: ids, settings: GenerationSettings(length: 0, seed: 0))
        for await _ in generation.events {}
    }

    /// Nats and bits per character of `ids` (positions 2…n), as `charnn eval`.
    public func score(ids: [Int32], unknown: Int) async throws(ServingError) -> EvaluationResult {
        guard isLanguageModel else { throw .notLanguageModel(task: task.rawValue) }
        guard ids.count <= Self.maxAnalysedCharacters else {
            throw .textTooLong(characters: ids.count, limit: Self.maxAnalysedCharacters)
        }
        nonisolated(unsafe) let model = self.model
        let result = await onAnalysisQueue { Evaluator.evaluate(ids: ids, unknown: unknown, model: model) }
        guard let result else { throw .nothingToScore(known: ids.count) }
        return result
    }

    /// The restored text, as `charnn restore`.
    public func restore(_ text: String) async throws(ServingError) -> String {
        guard let found = restorer else { throw .notRestorationModel }
        let length = text.unicodeScalars.count
        guard length <= Self.maxAnalysedCharacters else {
            throw .textTooLong(characters: length, limit: Self.maxAnalysedCharacters)
        }
        nonisolated(unsafe) let restorer = found
        return await onAnalysisQueue { restorer.restore(text) }
    }

    /// Characters a trace may cover: `maxTracedValues` numbers in all.
    public var maxTracedCharacters: Int { Self.maxTracedValues / config.hiddenSize }

    /// Layer `layer`'s `quantity` after each of `ids`, (N, H) row-major.
    public func trace(ids: [Int32], layer: Int,
                      quantity: UnrolledNetwork<Float>.RecordedQuantity) async throws(ServingError) -> [Float] {
        guard isLanguageModel else { throw .notLanguageModel(task: task.rawValue) }
        guard ids.count <= maxTracedCharacters else {
            throw .textTooLong(characters: ids.count, limit: maxTracedCharacters)
        }
        guard layer >= 0, layer < config.layerCount else {
            throw .noSuchLayer("layer \(layer) (the model has layers 0…\(config.layerCount - 1))")
        }
        guard quantity == .hidden || config.cell.carriesCellState else {
            let cell = config.cell.displayName
            throw .noSuchLayer("cell of a \(cell) (a \(cell) has only hidden states)")
        }
        nonisolated(unsafe) let model = self.model
        return await onAnalysisQueue {
            ActivationTrace.trace(ids: ids, model: model, layer: layer, quantity: quantity) ?? []
        }
    }

    private func onAnalysisQueue<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            analysis.async { continuation.resume(returning: work()) }
        }
    }
}
