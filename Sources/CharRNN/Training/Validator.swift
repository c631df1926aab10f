/// Validation: the mean cross-entropy (nats per character) over every window of the validation part
/// (which `--val-chars` bounds), with the state carried from a zero start, dropout off; for a restoration task
/// also the character and word accuracy of its decoding. Every rank scores its own streams and the
/// results are combined over the group.
///
/// A language model's streams are split over `parts` networks that run each window at once, one on
/// the caller's thread and the others on their own, as training's replicas do: on two cores a
/// single network left one idle, and validating 2×128 every 200 steps took 13.6% of a 5-minute run.
final class Validator: @unchecked Sendable {
    let source: WindowSource
    /// The first part's network (all the streams when there is one part).
    var network: UnrolledNetwork<Float> { networks[0] }
    let networks: [UnrolledNetwork<Float>]
    let vocabulary: Vocabulary
    let group: ProcessGroup
    private let decoder: RestorationDecoder?
    private var workers: [WorkerThread] = []
    /// One slot per part, each written by its own thread only.
    private let partLosses: UnsafeMutableBufferPointer<Double>

    init(source: WindowSource, model: CharRNNModel<Float>, vocabulary: Vocabulary, streams: Range<Int>,
         totalStreams: Int, group: ProcessGroup, parts: Int = 1) {
        self.source = source
        self.vocabulary = vocabulary
        self.group = group
        decoder = source.degradedForm.map(RestorationDecoder.init)
        // A restoration task tallies its decoding per stream of one network.
        let count = decoder == nil && parts > 1 && streams.count % parts == 0 ? parts : 1
        let share = streams.count / count
        networks = (0..<count).map { r in
            let network = UnrolledNetwork(model: model, batchSize: share, steps: source.layout.steps,
                                          withGradients: false)
            (network.streamOffset, network.totalStreams) = (streams.lowerBound + r * share, totalStreams)
            return network
        }
        partLosses = .allocate(capacity: count)
        partLosses.initialize(repeating: 0)
        workers = (1..<count).map { part in
            WorkerThread { [unowned self] in
                self.partLosses[part] = self.networks[part].forward(training: false)
            }
        }
    }

    deinit {
        workers.forEach { $0.stop() }
        partLosses.deallocate()
    }

    var windowCount: Int { source.windowsPerEpoch }

    /// Every position's loss, window after window (each window's T·B in the order of `targets`), as
    /// `run` scores them (this process's streams): their mean is `run`'s loss. An ensemble mixes its
    /// members' (`EnsembleTraining`).
    func positionLosses() -> [Double] {
        precondition(networks.count == 1, "position losses are read from one network")
        let w = network, positions = network.batchSize * network.steps
        let bidirectional = network.model.config.bidirectional
        var losses = [Double](repeating: 0, count: windowCount * positions)
        w.resetState()
        losses.withUnsafeMutableBufferPointer { losses in
            for k in 0..<windowCount {
                if bidirectional { w.resetState() }
                source.fill(window: k, into: w)
                _ = w.forward(training: false, rowLosses: losses.baseAddress! + k * positions)
            }
        }
        return losses
    }

    func run() -> (loss: Double, accuracy: RestorationAccuracy?) {
        let w = network, B = network.batchSize, T = network.steps
        let bidirectional = network.model.config.bidirectional
        for r in networks.indices { networks[r].resetState() }
        var total = 0.0
        var tally = decoder.map { _ in RestorationTally(vocabulary: vocabulary, streams: B) }
        for k in 0..<windowCount {
            // A bidirectional window sees its own future only: no state crosses windows.
            if bidirectional { for r in networks.indices { networks[r].resetState() } }
            for r in networks.indices { source.fill(window: k, into: networks[r]) }
            for worker in workers { worker.start() }
            partLosses[0] = w.forward(training: false)
            for worker in workers { worker.wait() }
            // Equal shares: the window's mean is the mean of the parts' means.
            var window = 0.0
            for r in partLosses.indices { window += partLosses[r] }
            total += window / Double(partLosses.count)
            guard let decoder else { continue }
            let V = vocabulary.count, scores = w.logits.baseAddress!
            for b in 0..<B {
                for t in 0..<T {
                    let position = t * B + b, input = w.inputs[position]
                    let predicted = decoder.decode(input: input, scores: scores + position * V)
                    tally!.add(stream: b, target: w.targets[position], input: input, predicted: predicted)
                }
            }
        }
        if group.size > 1, tally != nil { tally!.merge(over: group) }
        let loss = group.sum(total) / Double(group.size) / Double(windowCount)
        return (loss, tally?.result())
    }
}
