import CKernels
import XCTest
@testable import CharRNN

/// Half-precision weights: the conversions, every matrix kernel, a batched step against its streams
/// alone, and the one-stream step against the float network on the same (half-rounded) weights.
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

    /// The kernels this CPU runs, by name; the skipped one said in the test's output.
    private func halfKernels() -> [(String, HalfGEMM)] {
        var kernels: [(String, HalfGEMM)] = [("portable", ckernels_gemm_f16_portable)]
        if HalfPrecisionStep.cpuHasF16C {
            kernels.append(("f16c", ckernels_gemm_f16_f16c))
        } else {
            print("f16 GEMM: the f16c kernel is not tested here: this CPU has no AVX2, FMA and F16C with YMM saved")
        }
        if InstructionSets.current.canRun(.avx512) {
            kernels.append(("avx512", ckernels_gemm_f16_avx512))
        } else {
            print("f16 GEMM: the avx512 kernel is not tested here: " + (InstructionSets.current.reasonCannotRun(.avx512) ?? ""))
        }
        return kernels
    }

    /// A random (rows, cols) matrix: its floats, and its halves packed as the kernels read them.
    private func randomMatrix(rows: Int, cols: Int, _ random: inout SplitMix64) -> (floats: [Float], panels: [UInt16]) {
        let floats = (0..<(rows * cols)).map { _ in Float(random.nextNormal()) }
        var panels = [UInt16](repeating: 0xffff, count: Int(ckernels_half_panels_count(Int64(rows), Int64(cols))))
        ckernels_pack_half_panels(floats, Int64(rows), Int64(cols), &panels)
        return (floats, panels)
    }

    func testPanelsHoldEveryRowRoundedAndPadWithZeros() {
        var random = SplitMix64(seed: 2)
        let (rows, cols) = (21, 5)
        let (floats, panels) = randomMatrix(rows: rows, cols: cols, &random)
        XCTAssertEqual(panels.count, 32 * cols)
        for p in 0..<2 {
            for c in 0..<cols {
                for l in 0..<16 {
                    let r = 16 * p + l
                    XCTAssertEqual(panels[(p * cols + c) * 16 + l], r < rows ? ckernels_float_to_half(floats[r * cols + c]) : 0,
                                   "row \(r) column \(c)")
                }
            }
        }
    }

    /// Every kernel computes y_b += W x_b with W rounded to half, touches no output past the rows,
    /// and every path gives the portable kernel's outputs bit for bit (one fma per column, in order).
    func testEveryKernelComputesTheBatchedProductAndThePathsAgree() {
        var random = SplitMix64(seed: 5)
        for (rows, cols, batch) in [(1, 1, 1), (7, 13, 3), (64, 33, 2), (5, 64, 5), (130, 512, 1), (9, 300, 6),
                                    (50, 40, 9), (48, 17, 17), (200, 96, 4)] {
            let (floats, panels) = randomMatrix(rows: rows, cols: cols, &random)
            let (ldx, ldy) = (cols + 3, rows + 2)  // strides wider than a row: only each row's part is read or written
            let x = (0..<(batch * ldx)).map { _ in Float(random.nextNormal()) }
            let start = (0..<(batch * ldy)).map { _ in Float(random.nextNormal()) }
            var portable: [Float] = []
            for (name, kernel) in halfKernels() {
                var y = start
                kernel(panels, Int64(rows), Int64(cols), x, Int64(ldx), Int64(batch), &y, Int64(ldy))
                for b in 0..<batch {
                    for r in 0..<rows {
                        var reference = Double(start[b * ldy + r])
                        for c in 0..<cols {
                            let weight = ckernels_half_to_float(ckernels_float_to_half(floats[r * cols + c]))
                            reference += Double(weight) * Double(x[b * ldx + c])
                        }
                        XCTAssertEqual(Double(y[b * ldy + r]), reference,
                                       accuracy: 1e-5 * (1 + abs(reference)) * Double(cols).squareRoot(),
                                       "\(name) \(rows)×\(cols) batch \(batch): row \(r) of stream \(b)")
                    }
                    for r in rows..<ldy { XCTAssertEqual(y[b * ldy + r], start[b * ldy + r], "\(name): past the rows") }
                }
                if name == "portable" { portable = y }
                XCTAssertEqual(y.map(\.bitPattern), portable.map(\.bitPattern), "\(name) \(rows)×\(cols) batch \(batch)")
            }
        }
    }

    /// A stream's products do not depend on the batch it is in: every output of a batched call is
    /// bit-equal to the same stream's call alone, for every tile edge (a partial last panel, batches
    /// below and above a tile's streams and not a multiple of them).
    func testAStreamsProductIsTheSameAloneOrInABatch() {
        var random = SplitMix64(seed: 8)
        for (rows, cols, batch) in [(11, 70, 7), (96, 256, 3), (131, 300, 19)] {
            let (_, panels) = randomMatrix(rows: rows, cols: cols, &random)
            let x = (0..<(batch * cols)).map { _ in Float(random.nextNormal()) }
            let start = (0..<(batch * rows)).map { _ in Float(random.nextNormal()) }
            for (name, kernel) in halfKernels() {
                var together = start
                kernel(panels, Int64(rows), Int64(cols), x, Int64(cols), Int64(batch), &together, Int64(rows))
                for b in 0..<batch {
                    var alone = Array(start[(b * rows)..<((b + 1) * rows)])
                    x.withUnsafeBufferPointer { x in
                        kernel(panels, Int64(rows), Int64(cols), x.baseAddress! + b * cols, Int64(cols), 1, &alone, Int64(rows))
                    }
                    for r in 0..<rows {
                        XCTAssertEqual(together[b * rows + r].bitPattern, alone[r].bitPattern,
                                       "\(name) \(rows)×\(cols): stream \(b) row \(r)")
                    }
                }
            }
        }
    }

    /// Split over two threads, a product large enough to split equals one thread's, bit for bit; one
    /// too small runs on the calling thread and is equal too.
    func testASplitProductEqualsOneThreads() {
        var random = SplitMix64(seed: 13)
        for (rows, cols, batch) in [(262, 600, 54), (30, 20, 2)] {
            let (_, panels) = randomMatrix(rows: rows, cols: cols, &random)
            let x = (0..<(batch * cols)).map { _ in Float(random.nextNormal()) }
            let start = (0..<(batch * rows)).map { _ in Float(random.nextNormal()) }
            for (name, kernel) in halfKernels() {
                let split = SplitHalfProduct(kernel: kernel)
                defer { split.stop() }
                var one = start, two = start
                kernel(panels, Int64(rows), Int64(cols), x, Int64(cols), Int64(batch), &one, Int64(rows))
                panels.withUnsafeBufferPointer { w in
                    x.withUnsafeBufferPointer { x in
                        two.withUnsafeMutableBufferPointer { y in
                            split.multiply(w.baseAddress!, rows: rows, cols: cols, input: x.baseAddress!, inputStride: cols,
                                           batch: batch, into: y.baseAddress!, outputStride: rows)
                        }
                    }
                }
                XCTAssertEqual(rows * cols * batch >= SplitHalfProduct.minimumMultiplyAdds, rows == 262, "which one splits")
                XCTAssertEqual(two.map(\.bitPattern), one.map(\.bitPattern), "\(name) \(rows)×\(cols) batch \(batch)")
                XCTAssertNotEqual(two, start)
            }
        }
    }

    /// Several streams stepped together equal each stepped alone, bit for bit: logits and state of
    /// every cell, with streams at different points of their text.
    func testABatchedHalfStepEqualsEachStreamAlone() {
        let vocabulary = try! Vocabulary(symbols: (0..<11).map { String(UnicodeScalar(UInt8(97 + $0))) }, tokenization: .scalars)
        for (cell, variant) in everyCell {
            let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 20, embeddingSize: 6,
                                     vocabularySize: vocabulary.count)
            let model = CharRNNModel<Float>(config: config, seed: 9)
            let texts: [[Int32]] = [[3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8], [10, 0, 10, 0, 5, 5, 5, 5]]
            let batch = HalfPrecisionStep(model: model, rows: 4)
            let alone = texts.map { _ in HalfPrecisionStep(model: model) }
            let size = config.layerCount * config.hiddenSize
            var h = [Float](repeating: 0, count: size), c = h
            for t in 0..<texts[0].count {
                // Stream 2 joins at step 3, in row 2 of 3; the others from the start.
                let rows = t < 3 ? 2 : 3
                for row in 0..<rows {
                    let text = texts[row]
                    batch.setInput(text[row == 2 ? t - 3 : t], row: row)
                }
                batch.step(rows: rows)
                for row in 0..<rows {
                    alone[row].feed(texts[row][row == 2 ? t - 3 : t])
                    for v in 0..<vocabulary.count {
                        XCTAssertEqual(batch.logits(row: row)[v].bitPattern, alone[row].logits[v].bitPattern,
                                       "\(cell) \(variant) t=\(t) row \(row)")
                    }
                    h.withUnsafeMutableBufferPointer { h in
                        c.withUnsafeMutableBufferPointer { c in batch.storeState(row: row, h: h, c: c) }
                    }
                    XCTAssertEqual(h, alone[row].state.h, "\(cell) \(variant) t=\(t) row \(row)")
                    XCTAssertEqual(c, alone[row].state.c, "\(cell) \(variant) t=\(t) row \(row)")
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
