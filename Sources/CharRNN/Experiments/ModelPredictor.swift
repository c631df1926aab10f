/// A trained model as a `NextSymbolPredictor`: it reads the text once from a zero state, carrying
/// the state from window to window as `charnn eval` does, and at each asked position names its most
/// likely id (the largest logit), among `candidates` when they are given.
public struct ModelPredictor: NextSymbolPredictor {
    public let model: CharRNNModel<Float>
    /// The ids allowed to win, e.g. the closing brackets; nil: the whole vocabulary.
    public let candidates: [Int32]?

    /// Characters per window of the reading pass.
    static let window = 256

    public init(model: CharRNNModel<Float>, candidates: [Int32]? = nil) {
        precondition(candidates.map { !$0.isEmpty } ?? true, "an empty candidate list can predict nothing")
        self.model = model
        self.candidates = candidates
    }

    public func predictions(for ids: [Int32], at positions: [Int]) -> [Int32] {
        guard let last = positions.last else { return [] }
        precondition(positions.first! >= 1 && last < ids.count, "positions must lie in 1..<\(ids.count)")
        let T = Self.window, V = model.config.vocabularySize
        let network = UnrolledNetwork(model: model, batchSize: 1, steps: T, withGradients: false)
        var predicted = [Int32]()
        predicted.reserveCapacity(positions.count)
        var next = 0, start = 0
        while next < positions.count {
            // This window's inputs are ids[start ..< start + count]; row t of its logits predicts
            // ids[start + t + 1]. The last window is padded: what follows the text changes nothing before it.
            let count = min(T, last - start)
            for t in 0..<T { network.inputs[t] = t < count ? ids[start + t] : 0 }
            network.computeLogits()
            while next < positions.count, positions[next] <= start + count {
                let row = network.logits.baseAddress! + (positions[next] - start - 1) * V
                predicted.append(bestID(row))
                next += 1
            }
            start += T
        }
        return predicted
    }

    private func bestID(_ scores: UnsafeMutablePointer<Float>) -> Int32 {
        if let candidates {
            var best = candidates[0]
            for id in candidates.dropFirst() where scores[Int(id)] > scores[Int(best)] { best = id }
            return best
        }
        var best = 0
        for id in 1..<model.config.vocabularySize where scores[id] > scores[best] { best = id }
        return Int32(best)
    }
}
