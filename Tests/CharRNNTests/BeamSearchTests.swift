import Foundation
import XCTest
@testable import CharRNN

final class BeamSearchTests: XCTestCase {
    /// A model made by hand whose next-character distribution depends on the current character
    /// only, p(next | current) = `transitions[current][next]`: one LSTM layer with H = V whose
    /// saturated gates (i ≈ 1, f ≈ 0, o ≈ 1) copy the one-hot embedding through, h = tanh(tanh(5))
    /// on the current character's unit, and a decoder holding log p / h.
    private func markovModel(_ transitions: [[Double]]) -> TextGenerator {
        let V = transitions.count
        let vocabulary = try! Vocabulary(symbols: ["\n", "a", "b", "c"].prefix(V).map { $0 }, tokenization: .scalars)
        let config = ModelConfig(cell: .lstm, gruVariant: .resetBefore, layerCount: 1, hiddenSize: V, embeddingSize: V,
                                 vocabularySize: V, dropout: 0, bidirectional: false)
        let model = CharRNNModel<Float>(config: config, seed: 1)
        model.parameters.update(repeating: 0)
        let embedding = model.tensor("embedding.weight")!, weightIH = model.tensor("rnn.weight_ih_l0")!
        let bias = model.tensor("rnn.bias_ih_l0")!, decoder = model.tensor("decoder.weight")!
        let h = Float(tanh(tanh(5.0)))
        for k in 0..<V {
            embedding[k * V + k] = 1
            weightIH[(2 * V + k) * V + k] = 5  // g = tanh(5 · x)
            bias[k] = 20                         // i
            bias[V + k] = -20                    // f
            bias[3 * V + k] = 20                 // o
            for next in 0..<V { decoder[next * V + k] = Float(Foundation.log(transitions[k][next])) / h }
        }
        return TextGenerator(model: model, vocabulary: vocabulary, normalization: .none)
    }

    /// From "\n": a 0.55, b 0.45; after a: a 0.3 at best; after b: c 0.9. Greedy takes a then a
    /// (0.55 · 0.3 = 0.165); the likeliest two characters are "bc" (0.45 · 0.9 = 0.405).
    private let transitions: [[Double]] = [
        [0.0, 0.55, 0.45, 0.0],
        [0.2, 0.3, 0.25, 0.25],
        [0.05, 0.025, 0.025, 0.9],
        [0.1, 0.1, 0.1, 0.7],
    ].map { row in row.map { max($0, 1e-9) } }

    private func text(_ ids: [Int32], _ generator: TextGenerator) -> String {
        String(decoding: generator.vocabulary.bytes(of: ids), as: UTF8.self)
    }

    func testBeamFindsTheLikeliestSequenceThatGreedyMisses() {
        let generator = markovModel(transitions)
        generator.prime([])
        let start = generator.saveState()
        var picker = TokenPicker(vocabularySize: 4, temperature: 0)
        var random = SplitMix64(seed: 1)
        var greedy: [Int32] = []
        generator.generate(length: 2, picker: &picker, generator: &random) { id, _, _ in greedy.append(id); return true }
        XCTAssertEqual(text(greedy, generator), "aa")

        let beams = BeamSearch(model: generator.model, vocabulary: generator.vocabulary, width: 2)
            .search(from: start, length: 2, count: 2)
        XCTAssertEqual(beams.map { text($0.ids, generator) }, ["bc", "aa"])
        XCTAssertEqual(beams[0].logProbability, Foundation.log(0.405), accuracy: 1e-4)
        XCTAssertEqual(beams[1].logProbability, Foundation.log(0.165), accuracy: 1e-4)
        // Width 1 is greedy.
        let one = BeamSearch(model: generator.model, vocabulary: generator.vocabulary, width: 1)
            .search(from: start, length: 2, count: 1)
        XCTAssertEqual(one[0].ids, greedy)
    }

    /// A beam that reaches the stop string finishes there: "bc" (0.405) beats every 6-character
    /// continuation and every other one that ends in "c".
    func testStopFinishesABeam() {
        let generator = markovModel(transitions)
        generator.prime([])
        let found = BeamSearch(model: generator.model, vocabulary: generator.vocabulary, width: 3)
            .search(from: generator.saveState(), length: 6, count: 2, stop: Array("c".utf8))
        XCTAssertEqual(text(found[0].ids, generator), "bc")
        XCTAssertEqual(found[0].logProbability, Foundation.log(0.405), accuracy: 1e-4)
        XCTAssertTrue(text(found[1].ids, generator).hasSuffix("c"), text(found[1].ids, generator))
    }

    /// On a trained model, width 1 gives exactly the greedy sample, and wider beams find
    /// continuations at least as likely, all distinct.
    func testWidthOneIsGreedyOnATrainedModel() throws {
        let generator = TextGenerator(checkpoint: try trainedCheckpoint())
        let prime = generator.vocabulary.encode("the king ", normalization: .none).ids
        generator.prime(prime)
        let start = generator.saveState()
        var picker = TokenPicker(vocabularySize: generator.vocabulary.count, temperature: 0)
        var random = SplitMix64(seed: 1)
        var greedy: [Int32] = []
        generator.generate(length: 150, picker: &picker, generator: &random) { id, _, _ in greedy.append(id); return true }

        func search(_ width: Int, count: Int = 1) -> [BeamSearch.Hypothesis] {
            BeamSearch(model: generator.model, vocabulary: generator.vocabulary, width: width)
                .search(from: start, length: 150, count: count)
        }
        let one = search(1)[0]
        XCTAssertEqual(one.ids, greedy)
        let wide = search(8, count: 4)
        XCTAssertEqual(wide.count, 4)
        XCTAssertEqual(Set(wide.map(\.ids)).count, 4, "the beams are not distinct")
        // (The batch of 8 rounds differently from batch 1, by about 1e-6.)
        XCTAssertGreaterThanOrEqual(wide[0].logProbability, one.logProbability - 1e-4)
        XCTAssertEqual(wide.map(\.logProbability), wide.map(\.logProbability).sorted(by: >))
        // Each reported log-probability is the model's for that text (so each beam carried its
        // own ancestors' state): minus the sum of the losses at its positions.
        for hypothesis in wide {
            let losses = Evaluator.positionLosses(model: generator.model, ids: prime + hypothesis.ids)
            XCTAssertEqual(-losses.suffix(150).reduce(0, +), hypothesis.logProbability, accuracy: 1e-3)
        }
    }
}
