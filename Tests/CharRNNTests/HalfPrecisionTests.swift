import CKernels
import XCTest
@testable import CharRNN

/// Half-precision weights: the conversions, both matrix-vector kernels, and the batch-1 step against
/// the float network on the same (half-rounded) weights.
final class HalfPrecisionTests: XCTestCase {
    func testConversionsRoundToNearestEvenAsTheHardwareDoes() {
        var random = SplitMix64(seed: 3)
        var values: [Float] = [0, -0, 1, -1, 65504, 65520, 1e6, -1e6, 6.1e-5, 5.96e-8, 2.9e-8, 1e-9, .infinity, -.infinity,
                               1.00048828125, 1.00146484375, 0.1, 3.14159]
        for _ in 0..<20_000 { values.append(Float(random.nextNormal() * pow(10, Double(Int(random.next() % 12)) - 6))) }
        for value in values {
            let half = ckernels_float_to_half(value)
            XCTAssertEqual(half, Float16(value).bitPattern, "\(value)")
            XCTAssertEqual(ckernels_half_to_float(half).bitPattern, Float(Float16(bitPattern: half)).bitPattern, "\(value)")
        }
        XCTAssertTrue(ckernels_half_to_float(ckernels_float_to_half(.nan)).isNaN)
    }

    func testBothKernelsComputeTheMatrixVectorProduct() {
        var random = SplitMix64(seed: 5)
        for (rows, cols) in [(1, 1), (7, 13), (64, 33), (5, 64), (130, 512)] {
            let halves = (0..<(rows * cols)).map { _ in ckernels_float_to_half(Float(random.nextNormal())) }
            let x = (0..<cols).map { _ in Float(random.nextNormal()) }
            let start = (0..<rows).map { _ in Float(random.nextNormal()) }
            var reference = [Double](repeating: 0, count: rows)
            for r in 0..<rows {
                reference[r] = Double(start[r])
                for c in 0..<cols { reference[r] += Double(ckernels_half_to_float(halves[r * cols + c])) * Double(x[c]) }
            }
            var kernels = [("portable", ckernels_gemv_f16_portable as (UnsafePointer<UInt16>?, Int64, Int64, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void)]
            if HalfPrecisionStep.cpuHasF16C { kernels.append(("f16c", ckernels_gemv_f16_f16c)) }
            if InstructionSets.current.canRun(.avx512) {
                kernels.append(("avx512", ckernels_gemv_f16_avx512))
            } else {
                print("f16 GEMV: the avx512 kernel is not tested here: "
                      + (InstructionSets.current.reasonCannotRun(.avx512) ?? ""))
            }
            for (name, kernel) in kernels {
                var y = start
                kernel(halves, Int64(rows), Int64(cols), x, &y)
                for r in 0..<rows {
                    XCTAssertEqual(Double(y[r]), reference[r], accuracy: 1e-5 * (1 + abs(reference[r])) * Double(cols).squareRoot(),
                                   "\(name) \(rows)×\(cols) row \(r)")
                }
            }
        }
    }

    /// On weights already rounded to half, the half step and the float network compute the same thing:
    /// what differs is only summation order.
    func testHalfStepMatchesTheFloatNetworkOnHalfRoundedWeights() {
        let vocabulary = try! Vocabulary(symbols: (0..<11).map { String(UnicodeScalar(UInt8(97 + $0))) }, tokenization: .scalars)
        for (cell, variant) in everyCell {
            let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 20, embeddingSize: 6,
                                     vocabularySize: vocabulary.count)
            let model = CharRNNModel<Float>(config: config, seed: 9)
            var generator = SplitMix64(seed: 4)
            for slot in model.layout.tensors {  // gains and shifts off their initial 1 and 0
                guard case .constant(let value) = slot.initial else { continue }
                for i in slot.offset..<(slot.offset + slot.count) {
                    model.parameters[i] = Float(value + 0.6 * generator.nextUnit() - 0.3)
                }
            }
            HalfPrecisionStep.roundMatricesToHalf(model)
            let float = TextGenerator(model: model, vocabulary: vocabulary, normalization: .none)
            let half = TextGenerator(model: model, vocabulary: vocabulary, normalization: .none, weights: .f16)
            for portable in [false, true] {
                let step = HalfPrecisionStep(model: model, portable: portable)
                float.reset()
                half.reset()
                for (t, id) in [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4].enumerated() {
                    float.feed(Int32(id))
                    half.feed(Int32(id))
                    step.feed(Int32(id))
                    for v in 0..<vocabulary.count {
                        XCTAssertEqual(half.logits[v], float.logits[v], accuracy: 1e-4, "\(cell) \(variant) t=\(t)")
                        XCTAssertEqual(step.logits[v], float.logits[v], accuracy: 1e-4, "\(cell) \(variant) t=\(t) portable=\(portable)")
                    }
                }
                let (h, c) = (float.state.h, float.state.c)
                for i in h.indices { XCTAssertEqual(step.state.h[i], h[i], accuracy: 1e-4, "\(cell) \(variant) h[\(i)]") }
                if cell.carriesCellState {
                    for i in c.indices { XCTAssertEqual(step.state.c[i], c[i], accuracy: 1e-4, "\(cell) c[\(i)]") }
                }
                step.reset()
                XCTAssertTrue(step.state.h.allSatisfy { $0 == 0 })
            }
        }
    }

    /// Rounding to half changes the weights a little, and the logits only a little.
    func testHalfWeightsStayCloseToTheTrainedOnes() {
        let vocabulary = try! Vocabulary(symbols: (0..<11).map { String(UnicodeScalar(UInt8(97 + $0))) }, tokenization: .scalars)
        let config = ModelConfig(cell: .lstm, layerCount: 2, hiddenSize: 32, embeddingSize: 8, vocabularySize: vocabulary.count)
        let model = CharRNNModel<Float>(config: config, seed: 2)
        let float = TextGenerator(model: model, vocabulary: vocabulary, normalization: .none)
        let half = TextGenerator(model: model, vocabulary: vocabulary, normalization: .none, weights: .f16)
        var worst: Float = 0
        for id in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] {
            float.feed(Int32(id))
            half.feed(Int32(id))
            for v in 0..<vocabulary.count { worst = max(worst, abs(half.logits[v] - float.logits[v])) }
        }
        XCTAssertGreaterThan(worst, 0, "the half weights are rounded")
        XCTAssertLessThan(worst, 5e-3)
    }
}
