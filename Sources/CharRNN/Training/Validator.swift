/// Validation: the mean cross-entropy (nats per character) over every window of the validation part
/// (which `--val-chars` bounds), with the state carried from a zero start, dropout off; for a restoration task
/// also the character and word accuracy of its decoding. Every rank scores its own streams and the
/// results are combined over the group.
final class Validator {
    let source: WindowSource
    let network: UnrolledNetwork<Float>
    let vocabulary: Vocabulary
    let group: ProcessGroup
    private let decoder: RestorationDecoder?

    init(source: WindowSource, model: CharRNNModel<Float>, vocabulary: Vocabulary, streams: Range<Int>,
         totalStreams: Int, group: ProcessGroup) {
        self.source = source
        self.vocabulary = vocabulary
        self.group = group
        network = UnrolledNetwork(model: model, batchSize: streams.count, steps: source.layout.steps,
                                  withGradients: false)
        (network.streamOffset, network.totalStreams) = (streams.lowerBound, totalStreams)
        decoder = source.degradedForm.map(RestorationDecoder.init)
    }

    var windowCount: Int { source.windowsPerEpoch }

    /// Every position's loss, window after window (each window's T·B in the order of `targets`), as
    /// `run` scores them (this process's streams): their mean is `run`'s loss. An ensemble mixes its
    /// members' (`EnsembleTraining`).
    func positionLosses() -> [Double] {
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
        w.resetState()
        var total = 0.0
        var tally = decoder.map { _ in RestorationTally(vocabulary: vocabulary, streams: B) }
        for k in 0..<windowCount {
            // A bidirectional window sees its own future only: no state crosses windows.
            if bidirectional { w.resetState() }
            source.fill(window: k, into: w)
            total += w.forward(training: false)
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
