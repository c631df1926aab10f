import XCTest
@testable import CharRNN

final class SamplingTests: XCTestCase {
    private func withLogits<R>(_ values: [Float], _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        values.withUnsafeBufferPointer(body)
    }

    /// The f32 step is split between two threads (`TextGenerator.splitsSteps`) when the generator is
    /// given more than one; where the CPU runs a packed path it then splits, and its seeded text, after
    /// a prime long enough to run in windows, is the text one thread generates; likewise with f16 weights.
    func testTheStepIsSplitOnTwoThreadsAndGeneratesTheSameText() throws {
        let large = CharRNNModel<Float>(config: ModelConfig(cell: .lstm, layerCount: 2, hiddenSize: 512, embeddingSize: 64,
                                                            vocabularySize: 65), seed: 1)
        XCTAssertFalse(TextGenerator.splitsSteps(threads: 1))
        XCTAssertTrue(TextGenerator.splitsSteps(threads: 2))
        try XCTSkipUnless(StepPartner.hasSecondCore, "this machine has one core: no second thread to split a step onto")
        guard InstructionSets.current.canRun(.avx2) else {
            throw XCTSkip("this CPU runs no packed path (\(InstructionSets.current.reasonCannotRun(.avx2) ?? "")): no step to split")
        }
        let symbols = (0..<65).map { String(UnicodeScalar(UInt32(0x4E00 + $0))!) }
        let vocabulary = try Vocabulary(symbols: symbols, tokenization: .scalars)
        func text(threads: Int, weights: WeightPrecision = .f32) -> ([UInt8], Bool) {
            let generator = TextGenerator(model: large, vocabulary: vocabulary, normalization: .none, weights: weights,
                                          threads: threads)
            defer { setBLASThreadCount(1) }
            var picker = TokenPicker(vocabularySize: 65, temperature: 1)
            var random = SplitMix64(seed: 5)
            var bytes: [UInt8] = []
            let prime = (0..<300).map { Int32($0 * 7 % 65) }
            generator.generate(prime: prime, length: 60, picker: &picker, generator: &random) { bytes += $0; return true }
            return (bytes, generator.network.splitsSteps || generator.halfStep?.splitsProducts == true)
        }
        let (one, oneSplit) = text(threads: 1), (two, twoSplit) = text(threads: 2)
        XCTAssertFalse(oneSplit)
        XCTAssertTrue(twoSplit)
        XCTAssertEqual(one.count, 60 * 3)
        XCTAssertTrue(one == two, "the split generator's text differs from one thread's")
        // With f16 weights the products are split instead (by output rows, `SplitHalfProduct`).
        let (oneHalf, oneHalfSplit) = text(threads: 1, weights: .f16), (twoHalf, twoHalfSplit) = text(threads: 2, weights: .f16)
        XCTAssertFalse(oneHalfSplit)
        XCTAssertTrue(twoHalfSplit)
        XCTAssertEqual(oneHalf.count, 60 * 3)
        XCTAssertTrue(oneHalf == twoHalf, "the f16 generator's text on two threads differs from one thread's")
    }

    func testTemperatureZeroIsArgmax() {
        var picker = TokenPicker(vocabularySize: 5, temperature: 0)
        var generator = SplitMix64(seed: 1)
        for _ in 0..<20 {
            XCTAssertEqual(withLogits([0.1, 2.5, 2.4, -1, 0]) { picker.pick(logits: $0, using: &generator) }, 1)
        }
    }

    func testTopKOneIsGreedy() {
        var picker = TokenPicker(vocabularySize: 4, temperature: 1.5, topK: 1)
        var generator = SplitMix64(seed: 2)
        for _ in 0..<50 {
            XCTAssertEqual(withLogits([0.3, 0.2, 0.9, 0.8]) { picker.pick(logits: $0, using: &generator) }, 2)
        }
    }

    /// Top-p keeps the smallest set of likeliest characters whose mass reaches p. Logits ln(p) for
    /// p = (0.05, 0.5, 0.3, 0.15): p = 0.7 keeps {0.5, 0.3}; p = 0.8 keeps exactly {0.5, 0.3} too
    /// (0.8 is reached); p = 0.81 adds 0.15.
    func testTopPKeepsTheSmallestSetReachingP() {
        let logits = [0.05, 0.5, 0.3, 0.15].map { Float(Foundation.log($0)) }
        func kept(_ p: Double) -> [Double] {
            var picker = TokenPicker(vocabularySize: 4, temperature: 1, topP: p)
            return withLogits(logits) { picker.distribution(logits: $0) }
        }
        let a = kept(0.7)
        XCTAssertEqual(a[0], 0); XCTAssertEqual(a[3], 0)
        XCTAssertEqual(a[1], 0.5 / 0.8, accuracy: 1e-6); XCTAssertEqual(a[2], 0.3 / 0.8, accuracy: 1e-6)
        XCTAssertEqual(kept(0.8)[3], 0)
        let c = kept(0.81)
        XCTAssertEqual(c[0], 0); XCTAssertEqual(c[3], 0.15 / 0.95, accuracy: 1e-6)
        XCTAssertEqual(kept(1.0)[0], 0.05, accuracy: 1e-6)
    }

    /// Temperature divides the logits: T = 2 on logits (ln 4, 0) gives probabilities (2/3, 1/3).
    func testTemperatureScalesLogits() {
        var picker = TokenPicker(vocabularySize: 2, temperature: 2)
        let p = withLogits([Float(Foundation.log(4.0)), 0]) { picker.distribution(logits: $0) }
        XCTAssertEqual(p[0], 2.0 / 3, accuracy: 1e-6)
        // Sampling follows it: about two thirds zeros over many draws.
        var generator = SplitMix64(seed: 3)
        var zeros = 0
        for _ in 0..<6000 where withLogits([Float(Foundation.log(4.0)), 0], { picker.pick(logits: $0, using: &generator) }) == 0 {
            zeros += 1
        }
        XCTAssertEqual(Double(zeros) / 6000, 2.0 / 3, accuracy: 0.03)
    }

    private func sample(_ generator: TextGenerator, seed: UInt64, prime: [Int32] = [], temperature: Double = 0.8,
                        length: Int = 200) -> [UInt8] {
        var picker = TokenPicker(vocabularySize: generator.vocabulary.count, temperature: temperature)
        var random = SplitMix64(seed: seed)
        var out: [UInt8] = []
        generator.generate(prime: prime, length: length, picker: &picker, generator: &random) {
            out += $0
            return true
        }
        return out
    }

    func testSeededSamplesRepeatAndDifferentSeedsDiffer() throws {
        let generator = TextGenerator(checkpoint: try trainedCheckpoint())
        let a = sample(generator, seed: 1), b = sample(generator, seed: 1), c = sample(generator, seed: 2)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(String(decoding: a, as: UTF8.self).unicodeScalars.count, 200)
    }

    /// The state after `--prime` equals the state after feeding the same text through the model in
    /// one window, and the first sampled distribution equals that window's last logits.
    func testPrimeStateEqualsFeedingTheText() throws {
        let checkpoint = try trainedCheckpoint()
        let generator = TextGenerator(checkpoint: checkpoint)
        let prime = checkpoint.vocabulary.encode("the king shall", normalization: .none).ids
        generator.reset()
        for id in prime { generator.feed(id) }

        let model = checkpoint.makeModel()
        let window = UnrolledNetwork(model: model, batchSize: 1, steps: prime.count)
        _ = window.inputs.update(fromContentsOf: prime)
        window.computeLogits()
        let state = generator.state
        for (x, y) in zip(state.h, Array(window.stateH)) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        for (x, y) in zip(state.c, Array(window.stateC)) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        let V = checkpoint.vocabulary.count
        let last = Array(window.logits[((prime.count - 1) * V)..<(prime.count * V)])
        for (x, y) in zip(Array(generator.logits), last) { XCTAssertEqual(x, y, accuracy: 1e-5) }
    }

    func testStopStringEndsTheSample() throws {
        let checkpoint = try trainedCheckpoint()
        let generator = TextGenerator(checkpoint: checkpoint)
        var picker = TokenPicker(vocabularySize: checkpoint.vocabulary.count, temperature: 1)
        var random = SplitMix64(seed: 4)
        var out: [UInt8] = []
        generator.generate(prime: [], length: 5000, picker: &picker, generator: &random, stop: Array(" ".utf8)) {
            out += $0
            return true
        }
        XCTAssertEqual(out.last, UInt8(ascii: " "))
        XCTAssertEqual(out.filter { $0 == UInt8(ascii: " ") }.count, 1)
    }

    /// `eval` is the mean of the per-position losses the network computes, positions 2…n.
    func testEvaluationEqualsMeanOfPerPositionLosses() throws {
        let checkpoint = try trainedCheckpoint()
        let text = syntheticText(characters: 700, seed: 9) + "☃"  // one unknown character
        let result = try Evaluator.evaluate(fileBytes: Array(text.utf8), path: "t.txt", checkpoint: checkpoint)
        let ids = checkpoint.vocabulary.encode(text, normalization: .none).ids
        XCTAssertEqual(result.unknownSkipped, 1)
        XCTAssertEqual(result.charsScored, ids.count - 1)

        // Reference: one step at a time from a zero state, −log softmax at each next character.
        let model = checkpoint.makeModel()
        let step = UnrolledNetwork(model: model, batchSize: 1, steps: 1)
        var total = 0.0
        for i in 0..<(ids.count - 1) {
            step.inputs[0] = ids[i]
            step.targets[0] = ids[i + 1]
            total += step.forward()
        }
        XCTAssertEqual(result.natsPerChar, total / Double(ids.count - 1), accuracy: 1e-5)
        XCTAssertEqual(result.bitsPerChar, result.natsPerChar / Foundation.log(2.0), accuracy: 1e-12)
        XCTAssertEqual(result.perplexity, Foundation.exp(result.natsPerChar), accuracy: 1e-9)
    }
}

/// Priming in windows, and the probabilities `--probs` reports.
final class PrimingTests: XCTestCase {
    /// A prime of 1,000 characters (three full windows and a remainder) leaves the state and the
    /// next logits that feeding it one character at a time leaves.
    func testWindowedPrimeEqualsFeedingCharacterByCharacter() throws {
        let checkpoint = try trainedCheckpoint()
        let text = syntheticText(characters: 1000, seed: 4)
        let ids = checkpoint.vocabulary.encode(text, normalization: .none).ids
        XCTAssertGreaterThan(ids.count, 3 * TextGenerator.primeWindow)
        let windowed = TextGenerator(checkpoint: checkpoint)
        windowed.prime(ids)
        let stepwise = TextGenerator(checkpoint: checkpoint)
        stepwise.reset()
        for id in ids { stepwise.feed(id) }
        for (x, y) in zip(windowed.state.h, stepwise.state.h) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        for (x, y) in zip(windowed.state.c, stepwise.state.c) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        for (x, y) in zip(Array(windowed.logits), Array(stepwise.logits)) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        // A restored state is the state saved: logits and h, c.
        let saved = windowed.saveState(), before = Array(windowed.logits), state = windowed.state
        windowed.feed(ids[0])
        XCTAssertNotEqual(Array(windowed.logits), before)
        windowed.restore(saved)
        XCTAssertEqual(Array(windowed.logits), before)
        XCTAssertEqual(windowed.state.h, state.h)
        XCTAssertEqual(windowed.state.c, state.c)
    }

    /// The probability of each sampled character, under the model's own distribution, is what
    /// scoring the sampled text gives at that position: −log p = the position's loss. The top
    /// probabilities are sorted and sum to at most 1.
    func testProbabilitiesOfASampleMatchItsPerPositionLosses() throws {
        let checkpoint = try trainedCheckpoint()
        let generator = TextGenerator(checkpoint: checkpoint)
        generator.prime([])
        var picker = TokenPicker(vocabularySize: checkpoint.vocabulary.count, temperature: 1.2)
        var random = SplitMix64(seed: 8)
        var ids: [Int32] = [], probabilities: [Double] = []
        generator.generate(length: 300, picker: &picker, generator: &random) { id, _, logits in
            let distribution = CharacterDistribution(logits: logits)
            let top = distribution.top(5)
            XCTAssertEqual(top.count, 5)
            XCTAssertLessThanOrEqual(top.map(\.probability).reduce(0, +), 1 + 1e-12)
            XCTAssertEqual(top.map(\.probability), top.map(\.probability).sorted(by: >))
            XCTAssertEqual(distribution.probabilities.reduce(0, +), 1, accuracy: 1e-9)
            ids.append(id)
            probabilities.append(distribution.probabilities[Int(id)])
            return true
        }
        let losses = Evaluator.positionLosses(model: checkpoint.makeModel(), ids: [generator.defaultContext] + ids)
        XCTAssertEqual(losses.count, ids.count)
        for (p, loss) in zip(probabilities, losses) { XCTAssertEqual(-Foundation.log(p), loss, accuracy: 1e-4) }
    }
}
