import Foundation

/// Restores a degraded text with a model trained on a restoration task: each character the model
/// knows is fed in its degraded form, and where the input character is a degraded form the output
/// is the likeliest character that degrades to it; every other character is kept as it is.
public final class Restorer {
    public let task: TrainingTask
    let vocabulary: Vocabulary
    let normalization: Normalization
    let degradedForm: [Int32]
    let decoder: RestorationDecoder
    let model: CharRNNModel<Float>
    let windowLength: Int
    let bidirectional: Bool
    /// One network per window length seen (the full length, and a shorter last window).
    private var networks: [Int: UnrolledNetwork<Float>] = [:]

    public enum Failure: Error, CustomStringConvertible {
        case notRestorationModel(path: String)
        public var description: String {
            switch self {
            case .notRestorationModel(let path):
                return "\(path) is a language model, not a restoration model; train one with "
                    + "`charnn train corpus.txt --task restore-diacritics --bidirectional`"
            }
        }
    }

    /// Windows as long as the training windows (or 50 characters), read one at a time.
    public init(checkpoint: Checkpoint, path: String) throws {
        guard checkpoint.task != .lm else { throw Failure.notRestorationModel(path: path) }
        task = checkpoint.task
        vocabulary = checkpoint.vocabulary
        normalization = checkpoint.normalization
        degradedForm = task.degradedForms(vocabulary)
        decoder = RestorationDecoder(degradedForm: degradedForm)
        bidirectional = checkpoint.config.bidirectional
        model = checkpoint.makeModel()
        windowLength = checkpoint.training?.seq ?? 50
    }

    public func restore(_ text: String) -> String {
        let scalars = Array((normalization == .nfc ? text.precomposedStringWithCanonicalMapping : text).unicodeScalars)
        // Positions the model reads, with their vocabulary ids.
        var positions: [Int] = [], ids: [Int32] = []
        for (index, scalar) in scalars.enumerated() {
            if let id = vocabulary.id(of: scalar) {
                positions.append(index)
                ids.append(id)
            }
        }
        var output = scalars
        let V = vocabulary.count
        var carried: (h: [Float], c: [Float])?
        var start = 0
        while start < ids.count {
            let count = min(windowLength, ids.count - start)
            let network = networks[count] ?? UnrolledNetwork(model: model, batchSize: 1, steps: count, withGradients: false)
            networks[count] = network
            network.resetState()
            if !bidirectional, let carried {  // a one-directional model carries its state on
                _ = network.stateH.update(fromContentsOf: carried.h)
                _ = network.stateC.update(fromContentsOf: carried.c)
            }
            for t in 0..<count { network.inputs[t] = degradedForm[Int(ids[start + t])] }
            network.computeLogits()
            carried = (Array(network.stateH), Array(network.stateC))
            for t in 0..<count {
                let id = ids[start + t]
                guard degradedForm[Int(id)] == id else { continue }  // not a degraded form: keep it
                let best = decoder.decode(input: id, scores: network.logits.baseAddress! + t * V)
                output[positions[start + t]] = vocabulary.symbol(best).unicodeScalars.first!
            }
            start += count
        }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: output)
        return String(result)
    }
}

