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
        let (ids, unknown) = try encode(fileBytes, path: path, vocabulary: checkpoint.vocabulary,
                                        normalization: checkpoint.normalization)
        let model = checkpoint.makeModel()
        if weights == .f16 { HalfPrecisionStep.roundMatricesToHalf(model) }
        guard let result = evaluate(ids: ids, unknown: unknown, model: model) else {
            throw .nothingToScore(path: path, known: ids.count, unknown: unknown)
        }
        return result
    }

    /// Scores already-encoded ids (a request's text) with a loaded model, as `evaluate` scores a file.
    public static func evaluate(ids: [Int32], unknown: Int, model: CharRNNModel<Float>) -> EvaluationResult? {
        guard ids.count >= 2 else { return nil }
        let scored = ids.count - 1
        let nats = sumOfLosses(model: model, ids: ids) / Double(scored)
        return EvaluationResult(natsPerChar: nats, bitsPerChar: nats / Foundation.log(2.0),
                                perplexity: Foundation.exp(nats), charsScored: scored, unknownSkipped: unknown)
    }

    /// The ids of a file's characters that are in the vocabulary, and how many were not.
    static func encode(_ bytes: [UInt8], path: String, vocabulary: Vocabulary,
                       normalization: Normalization) throws(DataError) -> (ids: [Int32], unknown: Int) {
        switch vocabulary.tokenization {
        case .bytes:
            var ids: [Int32] = [], unknown = 0
            ids.reserveCapacity(bytes.count)
            for byte in bytes {
                if let id = vocabulary.id(ofValue: UInt32(byte)) { ids.append(id) } else { unknown += 1 }
            }
            return (ids, unknown)
        case .scalars:
            if let offset = bytes.withUnsafeBufferPointer({ StrictUTF8.firstInvalidOffset($0) }) {
                throw .invalidUTF8Text(path: path, offset: offset)
            }
            let encoded = vocabulary.encode(String(decoding: bytes, as: UTF8.self), normalization: normalization)
            return (encoded.ids, encoded.unknown.count)
        }
    }

    /// Σ over positions 2…n of −log p(id_i | id_1 … id_{i−1}), in nats.
    static func sumOfLosses(model: CharRNNModel<Float>, ids: [Int32]) -> Double {
        guard ids.count >= 2 else { return 0 }
        let positions = ids.count - 1
        let full = UnrolledNetwork(model: model, batchSize: 1, steps: min(window, positions), withGradients: false)
        var total = 0.0
        var start = 0
        while start < positions {
            let count = min(full.steps, positions - start)
            let network: UnrolledNetwork<Float>
            if count == full.steps {
                network = full
            } else {
                // The last, shorter window gets its own network, carrying the state over.
                let last = UnrolledNetwork(model: model, batchSize: 1, steps: count, withGradients: false)
                _ = last.stateH.update(fromContentsOf: full.stateH)
                _ = last.stateC.update(fromContentsOf: full.stateC)
                network = last
            }
            for t in 0..<count {
                network.inputs[t] = ids[start + t]
                network.targets[t] = ids[start + t + 1]
            }
            total += network.forward() * Double(count)
            start += count
        }
        return total
    }
}
