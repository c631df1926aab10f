import Foundation

/// How well a model predicts a text.
public struct EvaluationResult: Equatable, Sendable, Codable {
    public var natsPerChar: Double
    public var bitsPerChar: Double
    public var perplexity: Double
    public var charsScored: Int
    public var unknownSkipped: Int

    enum CodingKeys: String, CodingKey {
        case natsPerChar = "nats_per_char", bitsPerChar = "bits_per_char", perplexity
        case charsScored = "chars_scored", unknownSkipped = "unknown_skipped"
    }
}

/// Scores a text with a model: each character from all those before it (positions 2…n of an
/// n-character text, from a zero state, the state carried through the whole text). The text is
/// decoded and normalised as the training text was; characters outside the vocabulary are
/// removed first (neither fed nor scored) and counted.
public enum Evaluator {
    /// Characters per window of the scoring pass.
    static let window = 256

    /// With `weights` f16 the matrices are rounded to the half-precision values that `sample --weights f16` reads.
    public static func evaluate(fileBytes: [UInt8], path: String, checkpoint: Checkpoint,
                                weights: WeightPrecision = .f32) throws(DataError) -> EvaluationResult {
        let scored = try score(fileBytes: fileBytes, path: path, checkpoint: checkpoint, weights: weights)
        return result(losses: scored.losses, unknown: scored.unknown)
    }

    /// Scores already-encoded ids (a request's text) with a loaded model, as `evaluate` scores a file;
    /// nil when fewer than two are known.
    public static func evaluate(ids: [Int32], unknown: Int, model: CharRNNModel<Float>) -> EvaluationResult? {
        guard ids.count >= 2 else { return nil }
        return result(losses: positionLosses(model: model, ids: ids), unknown: unknown)
    }

    static func result(losses: [Double], unknown: Int) -> EvaluationResult {
        let nats = losses.reduce(0, +) / Double(losses.count)
        return EvaluationResult(natsPerChar: nats, bitsPerChar: nats / Foundation.log(2.0),
                                perplexity: Foundation.exp(nats), charsScored: losses.count, unknownSkipped: unknown)
    }

    /// The loss at each position 2…n, −log p(id_i | id_1 … id_{i−1}) in nats, with the ids scored
    /// (`losses[i]` is that of `ids[i + 1]`) and the number of unknown characters left out.
    public static func score(fileBytes: [UInt8], path: String, checkpoint: Checkpoint,
                             weights: WeightPrecision = .f32) throws(DataError) -> (ids: [Int32], losses: [Double], unknown: Int) {
        try score(fileBytes: fileBytes, path: path, members: [checkpoint], weights: weights)
    }

    /// `score` with an ensemble: each position's loss is the mixture's (`Mixture.loss`), −log of the
    /// mean of the members' probabilities.
    public static func score(fileBytes: [UInt8], path: String, members: [Checkpoint],
                             weights: WeightPrecision = .f32) throws(DataError) -> (ids: [Int32], losses: [Double], unknown: Int) {
        precondition(!members.isEmpty, "scoring needs a model")
        let first = members[0]
        let (ids, unknown) = try first.vocabulary.encode(bytes: fileBytes, normalization: first.normalization, origin: path)
        guard ids.count >= 2 else { throw .nothingToScore(path: path, known: ids.count, unknown: unknown.count) }
        let losses = members.map { member in
            let model = member.makeModel()
            if weights == .f16 { HalfPrecisionStep.roundMatricesToHalf(model) }
            return positionLosses(model: model, ids: ids)
        }
        return (ids, losses.count == 1 ? losses[0] : Mixture.losses(losses), unknown.count)
    }

    /// `evaluate` with an ensemble (see `score(fileBytes:path:members:weights:)`).
    public static func evaluate(fileBytes: [UInt8], path: String, members: [Checkpoint],
                                weights: WeightPrecision = .f32) throws(DataError) -> EvaluationResult {
        let scored = try score(fileBytes: fileBytes, path: path, members: members, weights: weights)
        return result(losses: scored.losses, unknown: scored.unknown)
    }

    static func positionLosses(model: CharRNNModel<Float>, ids: [Int32]) -> [Double] {
        var losses = [Double](repeating: 0, count: max(ids.count - 1, 0))
        losses.withUnsafeMutableBufferPointer { losses in
            _ = WindowedPass(model: model, window: window).run(positions: losses.count) { network, range in
                for (t, i) in range.enumerated() {
                    network.inputs[t] = ids[i]
                    network.targets[t] = ids[i + 1]
                }
                network.forward(rowLosses: losses.baseAddress! + range.lowerBound)
            }
        }
        return losses
    }
}
