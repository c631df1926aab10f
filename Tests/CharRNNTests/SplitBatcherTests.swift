import XCTest
@testable import CharRNN

/// The serving batcher with f32 weights and two threads splits each step's units with a partner
/// thread (`StepPartner`): every stream's text and final state equal, bit for bit, what the batcher
/// gives on one thread, as its batch grows and shrinks across the networks of 1, 2, 4, 8 and 16 rows.
final class SplitBatcherTests: XCTestCase {
    private func streams(_ model: CharRNNModel<Float>, _ vocabulary: Vocabulary, threads: Int) async throws
        -> [(text: String, state: RecurrentState)] {
        let batcher = ContinuousBatcher(model: model, vocabulary: vocabulary, maxStreams: 16, threads: threads)
        batcher.start()
        defer { batcher.shutdown() }
        return try await generatedStreams(batcher, primes: batcherTestPrimes) { 20 + 7 * $0 }
    }

    func testTwoThreadsServeWhatOneServes() async throws {
        try XCTSkipUnless(StepPartner.hasSecondCore, "this machine has one core: no second thread to split a step onto")
        guard InstructionSets.current.canRun(.avx2) else {
            throw XCTSkip("this CPU runs no packed path (\(InstructionSets.current.reasonCannotRun(.avx2) ?? "")): no step to split")
        }
        let vocabulary = try Vocabulary(symbols: (0..<11).map { String(UnicodeScalar(UInt8(97 + $0))) }, tokenization: .scalars)
        for (cell, variant) in everyCell where cell != .layerNormLSTM {
            let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 32, embeddingSize: 6,
                                     vocabularySize: vocabulary.count)
            let model = CharRNNModel<Float>(config: config, seed: 3)
            let probe = UnrolledNetwork(model: model, batchSize: 1, steps: 1, withGradients: false, fixedWeights: true,
                                        splittingSteps: true)
            XCTAssertTrue(probe.splitsSteps, "\(cell) \(variant): the batcher's networks split")
            let one = try await streams(model, vocabulary, threads: 1), two = try await streams(model, vocabulary, threads: 2)
            for index in one.indices {
                XCTAssertEqual(two[index].text, one[index].text, "\(cell) \(variant) stream \(index)")
                XCTAssertEqual(two[index].text.unicodeScalars.count, 20 + 7 * index)
                XCTAssertTrue(two[index].state.h.map(\.bitPattern) == one[index].state.h.map(\.bitPattern),
                              "\(cell) \(variant) stream \(index): h")
                XCTAssertTrue(two[index].state.c.map(\.bitPattern) == one[index].state.c.map(\.bitPattern),
                              "\(cell) \(variant) stream \(index): c")
            }
        }
    }
}
