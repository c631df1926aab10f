import XCTest
@testable import CharRNN

/// DropConnect on `weight_hh` against central finite differences in Double: the gradient the
/// optimiser receives is that of the loss as a function of the unmasked weights.
final class DropConnectTests: XCTestCase {
    /// Worst relative error over every parameter; `scaleGradient: false` skips the mask's chain rule
    /// (the broken backward the test must catch).
    func worstError(cell: CellKind, variant: GRUVariant, scaleGradient: Bool = true) -> (worst: Double, where: String) {
        let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 5, embeddingSize: 4,
                                 vocabularySize: 7)
        let model = CharRNNModel<Double>(config: config, seed: 5)
        let network = UnrolledNetwork(model: model, batchSize: 3, steps: 4, withGradients: true, gradients: nil)
        let dropConnect = RecurrentDropConnect(model: model, probability: 0.4)
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
        let epsilon = GradientCheckTests.epsilon
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
            let report = worstError(cell: cell, variant: variant)
            print("gradient check DropConnect 0.4 \(cell.label(variant: variant)) L=2: worst relative error \(report.worst)")
            XCTAssertLessThan(report.worst, GradientCheckTests.tolerance, "\(cell) \(variant): \(report.where)")
        }
        let broken = worstError(cell: .lstm, variant: .resetBefore, scaleGradient: false)
        XCTAssertGreaterThan(broken.worst, 1000 * GradientCheckTests.tolerance, "the mask's chain rule is not checked")
    }

    /// The weights are put back exactly; about p of them were zeroed; another window draws another mask.
    func testMaskRestoresTheWeightsAndDrawsPerWindow() {
        let config = ModelConfig(cell: .lstm, layerCount: 1, hiddenSize: 32, embeddingSize: 4, vocabularySize: 7)
        let model = CharRNNModel<Float>(config: config, seed: 2)
        let original = Array(model.parameters)
        let dropConnect = RecurrentDropConnect(model: model, probability: 0.3)
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
}
