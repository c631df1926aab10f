import Foundation

/// Advances every active generation of one language model together: each step gathers the active
/// streams' states into the rows of one batched network (steps = 1, B rows), runs one recurrent
/// step for all of them (a GEMM over B rows, not B matrix-vector products), then, for each row,
/// samples with that stream's own settings and generator and scatters the state back.
///
/// Streams join and leave between steps. A stream first feeds its prime one character per step,
/// in the batch like any other, then picks and feeds its picks: the same sequence of feeds and
/// picks as `TextGenerator.generate`, through the same `TokenPicker` and `SplitMix64`, so a seeded
/// stream gives exactly the text `charnn sample` prints.
///
/// With f16 weights one half-precision step (`HalfPrecisionStep`, `maxStreams` rows) replaces the
/// float networks: each stream then samples what `charnn sample --weights f16` prints.
///
/// One thread owns the networks and the active streams; `submit` and `cancel` only touch the
/// joining list and the cancelled set, under `lock`.
public final class ContinuousBatcher: @unchecked Sendable {
    public let model: CharRNNModel<Float>
    public let vocabulary: Vocabulary
    /// Streams generating at once, at most (joining ones included).
    public let maxStreams: Int
    /// The precision of the weight matrices each step reads.
    public let weights: WeightPrecision
    /// Threads of each step: from two, an f16 step splits its large products by panels with a helper
    /// (`SplitHalfProduct`) and an f32 step its units with a partner (`StepPartner`).
    public let threads: Int
    /// Called on the batcher's thread after every step with the batch size, the step's seconds and
    /// of those the seconds spent picking (softmax, sampling and stop texts of every stream, and
    /// handing text to the consumers).
    public var stepObserver: (@Sendable (_ batchSize: Int, _ seconds: Double, _ pickSeconds: Double) -> Void)?

    private let lock = NSCondition()
    private var joining: [ActiveStream] = []
    private var cancelled: Set<UInt64> = []
    private var admitted = 0
    private var stopping = false
    private var finishedThread = false
    private var nextID: UInt64 = 0

    /// Owned by the batcher's thread.
    private var active: [ActiveStream] = []
    /// When the streams' text was last handed to their consumers (`DispatchTime` nanoseconds).
    private var lastRelease: UInt64 = 0
    /// A stream's text waits up to this long before it goes to its consumer (its first text goes at
    /// once): at a small model a step takes microseconds, and one event per character per stream
    /// made the pick stage cost nearly as much as the step (`/metrics`' stage seconds).
    static let releaseInterval: UInt64 = 2_000_000
    /// Batched one-step networks for 1, 2, 4, … rows, made when first needed (f32 weights).
    private var networks: [Int: UnrolledNetwork<Float>] = [:]
    /// The half-precision step (f16 weights), made when first needed for 8, 16, 32, … rows.
    private var halfStep: HalfPrecisionStep?

    public init(model: CharRNNModel<Float>, vocabulary: Vocabulary, maxStreams: Int, weights: WeightPrecision = .f32,
                threads: Int = 1) {
        precondition(maxStreams >= 1, "maxStreams must be at least 1, got \(maxStreams)")
        precondition(!model.config.bidirectional, "a bidirectional model cannot generate")
        self.model = model
        self.vocabulary = vocabulary
        self.maxStreams = maxStreams
        self.weights = weights
        self.threads = threads
    }

    /// Starts the batcher's thread.
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "charnn-batcher"
        thread.start()
    }

    /// Cuts every stream (each ends with `.shutdown`), refuses new ones, and ends the thread.
    public func shutdown() {
        lock.lock()
        stopping = true
        lock.broadcast()
        while !finishedThread { lock.wait() }
        lock.unlock()
    }

    /// Streams admitted and not yet finished.
    public var activeStreams: Int {
        lock.lock(); defer { lock.unlock() }
        return admitted
    }

    /// Starts a generation from `state` (see `RecurrentState`) after feeding `prime`, or from a
    /// fresh state after `prime` (or the default context when it is empty) as `charnn sample`.
    /// The events end with one `.finished`, unless the generation is cancelled: then they just end.
    public func submit(prime: [Int32], from state: RecurrentState? = nil,
                       settings: GenerationSettings) throws(ServingError) -> Generation {
        let start = state ?? .fresh(model.config)
        // What the stream feeds: the pending character, then the prime; from a fresh state with an
        // empty prime, the default context (exactly TextGenerator's).
        let feed: [Int32] = start.pending.map { [$0] + prime }
            ?? TextGenerator.context(prime: prime, vocabulary: vocabulary)
        lock.lock()
        defer { lock.unlock() }
        guard !stopping else { throw .shuttingDown }
        guard admitted < maxStreams else { throw .tooManyStreams(limit: maxStreams) }
        admitted += 1
        nextID += 1
        let id = nextID
        let events = GenerationEvents()
        events.setOnCancel { [weak self] in self?.cancel(id) }
        let stream = ActiveStream(id: id, state: start, feed: feed, settings: settings,
                                  vocabularySize: vocabulary.count, continuation: events)
        joining.append(stream)
        lock.signal()
        return Generation(events: events) { [weak self] in self?.cancel(id) }
    }

    /// Frees a stream's slot at the next step; its events end without `.finished`. Harmless for
    /// a stream that has ended.
    private func cancel(_ id: UInt64) {
        lock.lock()
        cancelled.insert(id)
        lock.signal()
        lock.unlock()
    }

    // MARK: - The batcher's thread

    private func run() {
        while true {
            lock.lock()
            while active.isEmpty && joining.isEmpty && !stopping { lock.wait() }
            if stopping {
                let all = active + joining
                joining.removeAll()
                lock.unlock()
                for stream in all { finish(stream, reason: .shutdown) }
                active.removeAll()
                lock.lock()
                finishedThread = true
                lock.broadcast()
                lock.unlock()
                return
            }
            active += joining
            joining.removeAll()
            if !cancelled.isEmpty {
                let gone = cancelled
                cancelled.removeAll()
                let before = active.count
                active.removeAll { stream in
                    guard gone.contains(stream.id) else { return false }
                    stream.abandon()
                    return true
                }
                admitted -= before - active.count
            }
            lock.unlock()

            // A stream with nothing to feed (length 0 and a one-character feed) ends at once.
            var ended = false
            for stream in active where stream.hasNothingToFeed {
                finish(stream, reason: .length)
                ended = true
            }
            if ended { removeFinished() }
            if !active.isEmpty { step() }
        }
    }

    private func network(rows: Int) -> BatchedStep {
        var size = 1
        while size < rows { size *= 2 }
        if weights == .f16 {
            // One step for every row, remade twice as wide when the streams outgrow it (its rows hold
            // no state between steps: each step loads the streams' own).
            if let halfStep, halfStep.rowCapacity >= rows { return halfStep }
            let step = HalfPrecisionStep(model: model, rows: min(max(size, 8), maxStreams), threads: threads)
            halfStep = step
            return step
        }
        if let network = networks[size] { return network }
        // The first network made packs the panels; the others read its copy.
        let network = UnrolledNetwork(model: model, batchSize: size, steps: 1, withGradients: false, fixedWeights: true,
                                      sharingPanelsOf: networks.values.first, splittingSteps: TextGenerator.splitsSteps(threads: threads))
        networks[size] = network
        return network
    }

    /// One recurrent step for every active stream, then a pick for each that has fed its prime.
    private func step() {
        let started = DispatchTime.now().uptimeNanoseconds
        let network = network(rows: active.count)
        for row in active.indices {
            let stream = active[row]
            network.setInput(stream.nextInput(), row: row)
            stream.h.withUnsafeBufferPointer { h in
                stream.c.withUnsafeBufferPointer { c in network.loadState(row: row, h: h, c: c) }
            }
        }
        network.step(rows: active.count)
        let computed = DispatchTime.now().uptimeNanoseconds
        var ended = false
        for row in active.indices {
            let stream = active[row]
            stream.h.withUnsafeMutableBufferPointer { h in
                stream.c.withUnsafeMutableBufferPointer { c in network.storeState(row: row, h: h, c: c) }
            }
            if let reason = stream.afterStep(logits: network.logits(row: row), vocabulary: vocabulary) {
                finish(stream, reason: reason)
                ended = true
            }
        }
        let batchSize = active.count
        if ended { removeFinished() }
        var now = DispatchTime.now().uptimeNanoseconds
        if now - lastRelease >= Self.releaseInterval {
            for stream in active { stream.release() }
            now = DispatchTime.now().uptimeNanoseconds
            lastRelease = now
        }
        stepObserver?(batchSize, Double(now - started) / 1e9, Double(now - computed) / 1e9)
    }

    /// Drops the streams that ended from the batch (`finish` has freed their slots).
    private func removeFinished() {
        active.removeAll { $0.isFinished }
    }

    /// Frees the stream's slot, then hands over its ending: a client that has read its whole
    /// response finds the slot free (the next request is not refused for a stream already done).
    private func finish(_ stream: ActiveStream, reason: FinishReason) {
        lock.lock()
        admitted -= 1
        lock.unlock()
        stream.finish(reason: reason, vocabulary: vocabulary)
    }
}
