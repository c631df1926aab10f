/// Chooses each restored character as the likeliest output whose degraded form is the input
/// character: decoding never changes what the model was not trained to change.
public struct RestorationDecoder: Sendable {
    /// For each input id, the output ids that degrade to it.
    public let candidates: [[Int32]]

    public init(degradedForm: [Int32]) {
        candidates = TrainingTask.candidates(degradedForm: degradedForm)
    }

    /// The best candidate for input `input` given one row of logits (or probabilities).
    @inline(__always)
    func decode<Scalar: BLASScalar>(input: Int32, scores: UnsafePointer<Scalar>) -> Int32 {
        let options = candidates[Int(input)]
        guard options.count > 1 else { return options.first ?? input }
        var best = options[0]
        for id in options.dropFirst() where scores[Int(id)] > scores[Int(best)] { best = id }
        return best
    }
}
