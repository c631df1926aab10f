import XCTest
@testable import CharRNN

/// The serving batcher with f16 weights runs the half-precision step: each stream, batched among
/// others (and across the step's remaking when the streams outgrow it), ends in the state the
/// one-stream half-precision step reaches on the same text, bit for bit (a float network on
/// half-rounded weights differs in the last bits: summation order).
final class HalfPrecisionBatcherTests: XCTestCase {
    func testBatchedStreamsEndWhereTheHalfStepAloneEnds() async throws {
        let vocabulary = try Vocabulary(symbols: (0..<11).map { String(UnicodeScalar(UInt8(97 + $0))) }, tokenization: .scalars)
        for (cell, variant) in everyCell {
            let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 24, embeddingSize: 6,
                                     vocabularySize: vocabulary.count)
            let model = CharRNNModel<Float>(config: config, seed: 3)
            HalfPrecisionStep.roundMatricesToHalf(model)  // as the server does: only the arithmetic can differ
            let batcher = ContinuousBatcher(model: model, vocabulary: vocabulary, maxStreams: 16, weights: .f16)
            batcher.start()
            // Ten streams: past 8 at once the batcher remakes its step twice as wide, mid-generation.
            let primes = batcherTestPrimes
            let ends = try await generatedStreams(batcher, primes: primes) { 25 + 5 * $0 }
            batcher.shutdown()

            for (index, prime) in primes.enumerated() {
                let (text, state) = ends[index]
                XCTAssertEqual(text.unicodeScalars.count, 25 + 5 * index, "\(cell) \(variant) stream \(index)")
                let generated = text.unicodeScalars.map { vocabulary.id(of: $0)! }
                let alone = HalfPrecisionStep(model: model)
                for id in prime + generated.dropLast() { alone.feed(id) }
                XCTAssertEqual(state.pending, generated.last, "\(cell) \(variant) stream \(index)")
                XCTAssertEqual(state.h.map(\.bitPattern), alone.state.h.map(\.bitPattern), "\(cell) \(variant) stream \(index)")
                XCTAssertEqual(state.c.map(\.bitPattern), alone.state.c.map(\.bitPattern), "\(cell) \(variant) stream \(index)")
            }
        }
    }
}
