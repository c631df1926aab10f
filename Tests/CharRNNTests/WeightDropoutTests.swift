import XCTest
@testable import CharRNN

/// Weight dropout (DropConnect on `weight_hh`, embedding rows) against central finite differences in
/// Double: the gradient the optimiser receives is that of the loss as a function of the unmasked weights.
final class WeightDropoutTests: XCTestCase {
    /// Worst relative error over every parameter; `scaleGradient: false` skips the mask's chain rule
    /// (the broken backward the test must catch).
    func worstError(cell: CellKind, variant: GRUVariant, target: WeightDropout<Double>.Target, tokenInput: Bool = true,
                    scaleGradient: Bool = true) -> (worst: Double, where: String) {
        let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 5, embeddingSize: 4,
                                 vocabularySize: 7)
        let model = CharRNNModel<Double>(config: config, seed: 5)
        let network = UnrolledNetwork(model: model, batchSize: 3, steps: 4, withGradients: true, gradients: nil,
                                      tokenInput: tokenInput)
        let dropConnect = WeightDropout(model: model, target: target, probability: 0.4)
        var generator = SplitMix64(seed: 8)
        for i in 0..<network.inputs.count {
            network.inputs[i] = Int32(generator.next() % 7)
            network.targets[i] = Int32(generator.next() % 7)
        }
        for i in 0..<network.stateH.count {
            network.stateH[i] = generator.nextUnit() - 0.5
            network.stateC[i] = generator.nextUnit() - 0.5
        }
        let savedH = Array(network.stateH), savedC = Array(network.stateC)
        let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: model.parameterCount)
        defer { scratch.deallocate() }
        func loss() -> Double {
            _ = network.stateH.update(fromContentsOf: savedH)
            _ = network.stateC.update(fromContentsOf: savedC)
            dropConnect.mask(window: 3, seed: 11)
            let value = network.forward(training: true)
            dropConnect.unmask(gradients: scratch)
            return value
        }
        model.zeroGradients()
        _ = network.stateH.update(fromContentsOf: savedH)
        _ = network.stateC.update(fromContentsOf: savedC)
        dropConnect.mask(window: 3, seed: 11)
        _ = network.forward(training: true)
        network.backward()
        dropConnect.unmask(gradients: scaleGradient ? model.gradients : scratch)
        let analytic = Array(model.gradients)

        var worst = 0.0, worstWhere = ""
        // 2e-6: LSTM-LN's truncation error at 1e-5 reaches 6e-6 here (as in the dropout check).
        let epsilon = 2e-6
        for slot in model.layout.tensors {
            for index in slot.offset..<(slot.offset + slot.count) {
                model.parameters[index] += epsilon
                let plus = loss()
                model.parameters[index] -= 2 * epsilon
                let minus = loss()
                model.parameters[index] += epsilon
                let numeric = (plus - minus) / (2 * epsilon)
                let error = abs(analytic[index] - numeric)
                    / max(abs(analytic[index]) + abs(numeric), GradientCheckTests.floor)
                if error > worst { (worst, worstWhere) = (error, "\(slot.name)[\(index - slot.offset)]: analytic \(analytic[index]), numeric \(numeric)") }
            }
        }
        return (worst, worstWhere)
    }

    func testDropConnectGradientsMatchFiniteDifferences() {
        for (cell, variant) in everyCell {
            let report = worstError(cell: cell, variant: variant, target: .recurrentWeights)
            print("gradient check DropConnect 0.4 \(cell.label(variant: variant)) L=2: worst relative error \(report.worst)")
            XCTAssertLessThan(report.worst, GradientCheckTests.tolerance, "\(cell) \(variant): \(report.where)")
        }
        let broken = worstError(cell: .lstm, variant: .resetBefore, target: .recurrentWeights, scaleGradient: false)
        XCTAssertGreaterThan(broken.worst, 1000 * GradientCheckTests.tolerance, "the mask's chain rule is not checked")
    }

    /// Both ways layer 0 reads the embedding: token ids through the projected table, and gathered rows.
    func testEmbeddingDropoutGradientsMatchFiniteDifferences() {
        for (cell, variant) in everyCell {
            for tokenInput in [true, false] {
                let report = worstError(cell: cell, variant: variant, target: .embeddingRows, tokenInput: tokenInput)
                print("gradient check embedding dropout 0.4 \(cell.label(variant: variant)) L=2 token input \(tokenInput): "
                      + "worst relative error \(report.worst)")
                XCTAssertLessThan(report.worst, GradientCheckTests.tolerance, "\(cell) \(variant): \(report.where)")
            }
        }
        let broken = worstError(cell: .lstm, variant: .resetBefore, target: .embeddingRows, scaleGradient: false)
        XCTAssertGreaterThan(broken.worst, 1000 * GradientCheckTests.tolerance, "the mask's chain rule is not checked")
    }

    /// The weights are put back exactly; about p of them were zeroed; another window draws another mask.
    func testMaskRestoresTheWeightsAndDrawsPerWindow() {
        let config = ModelConfig(cell: .lstm, layerCount: 1, hiddenSize: 32, embeddingSize: 4, vocabularySize: 7)
        let model = CharRNNModel<Float>(config: config, seed: 2)
        let original = Array(model.parameters)
        let dropConnect = WeightDropout(model: model, target: .recurrentWeights, probability: 0.3)
        let slot = model.layout.slot(named: "rnn.weight_hh_l0")!
        func zeroed(window: UInt64) -> Set<Int> {
            dropConnect.mask(window: window, seed: 1)
            let zeros = Set((slot.offset..<(slot.offset + slot.count)).filter { model.parameters[$0] == 0 })
            let ih = model.layout.slot(named: "rnn.weight_ih_l0")!
            XCTAssertEqual(Array(model.parameters[ih.offset..<(ih.offset + ih.count)]),
                           Array(original[ih.offset..<(ih.offset + ih.count)]), "weight_ih was masked")
            dropConnect.unmask(gradients: model.gradients)
            XCTAssertEqual(Array(model.parameters), original)
            return zeros
        }
        let first = zeroed(window: 1)
        XCTAssertEqual(Double(first.count) / Double(slot.count), 0.3, accuracy: 0.03)
        XCTAssertEqual(zeroed(window: 1), first, "the same window draws the same mask")
        XCTAssertNotEqual(zeroed(window: 2), first)
    }

    /// Embedding dropout takes whole rows: a symbol is zeroed everywhere or scaled everywhere.
    func testEmbeddingDropoutDropsWholeRows() {
        let config = ModelConfig(cell: .gru, layerCount: 1, hiddenSize: 8, embeddingSize: 6, vocabularySize: 200)
        let model = CharRNNModel<Float>(config: config, seed: 2)
        let table = model.layout.embedding
        let original = Array(model.parameters[table.offset..<(table.offset + table.count)])
        let dropout = WeightDropout(model: model, target: .embeddingRows, probability: 0.5)
        dropout.mask(window: 7, seed: 3)
        var dropped = 0
        for v in 0..<200 {
            let row = (0..<6).map { model.parameters[table.offset + v * 6 + $0] }
            let was = original[(v * 6)..<(v * 6 + 6)]
            if row.allSatisfy({ $0 == 0 }) { dropped += 1; continue }
            XCTAssertEqual(row, was.map { $0 * 2 }, "row \(v) is neither dropped nor scaled by 1/q")
        }
        XCTAssertEqual(Double(dropped) / 200, 0.5, accuracy: 0.12)
        dropout.unmask(gradients: model.gradients)
        XCTAssertEqual(Array(model.parameters[table.offset..<(table.offset + table.count)]), original)
    }
}
