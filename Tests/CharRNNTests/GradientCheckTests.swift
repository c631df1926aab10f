import XCTest
@testable import CharRNN

/// Central finite differences against the analytic backward pass, in Double, through the same
/// generic code the Float trainer runs. Every parameter and every incoming-state entry is checked,
/// over two consecutive windows (the first from a random state, the second from the state the
/// first carried over), with
/// layer 0 reading gathered embedding rows and, separately, token ids (`InputProjection`).
final class GradientCheckTests: XCTestCase {
    /// |analytic − numeric| / max(|analytic| + |numeric|, floor). With ε = 1e-5 in Double the
    /// difference quotient carries about 4e-11 of rounding error (loss ≈ 2, 2⁻⁵² · 2 / ε), so the
    /// worst honest error is near 4e-11 / floor = 4e-7; a dropped term moves gradients by a sizeable
    /// fraction of themselves (see `testBrokenBackwardIsCaught`).
    static let tolerance = 1e-5
    static let floor = 1e-4
    static let epsilon = 1e-5

    struct Report {
        var worst = 0.0
        var worstWhere = ""
        var checked = 0
    }

    /// Runs the check and returns the worst relative error over all parameters and state entries.
    func gradientCheck(
        cell: CellKind, variant: GRUVariant = .resetBefore, layers: Int, dropout: Double = 0,
        bidirectional: Bool = false, tokenInput: Bool = true, lockedDropout: Bool = false, fault: GradientFault = .none,
        steps: Int = 4, seed: UInt64 = 7, epsilon: Double = GradientCheckTests.epsilon
    ) -> Report {
        let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: layers, hiddenSize: 5,
                                 embeddingSize: 4, vocabularySize: 7, dropout: dropout, bidirectional: bidirectional)
        let model = CharRNNModel<Double>(config: config, seed: seed)
        var generator = SplitMix64(seed: seed &+ 1)
        // Gains and shifts start at 1 and 0 (`TensorInitialisation.constant`): move them off those values.
        for slot in model.layout.tensors {
            guard case .constant(let value) = slot.initial else { continue }
            for index in slot.offset..<(slot.offset + slot.count) {
                model.parameters[index] = value + 0.6 * generator.nextUnit() - 0.3
            }
        }
        let workspace = UnrolledNetwork(model: model, batchSize: 3, steps: steps, withGradients: true, gradients: nil,
                                        tokenInput: tokenInput)
        workspace.fault = fault
        workspace.dropoutSeed = 99
        workspace.lockedDropout = lockedDropout
        // A nonzero incoming state: at h_0 = 0 a normalised W_hh h_0 has no variance, and differences
        // of ±ε there are dominated by ε of the normalisation rather than by the slope.
        for i in 0..<workspace.stateH.count {
            workspace.stateH[i] = generator.nextUnit() - 0.5
            workspace.stateC[i] = generator.nextUnit() - 0.5
        }
        var report = Report()

        for window in 1...2 {
            for i in 0..<workspace.inputs.count {
                workspace.inputs[i] = Int32(generator.next() % 7)
                workspace.targets[i] = Int32(generator.next() % 7)
            }
            var savedH = Array(workspace.stateH), savedC = Array(workspace.stateC)
            func loss() -> Double {
                _ = workspace.stateH.update(fromContentsOf: savedH)
                _ = workspace.stateC.update(fromContentsOf: savedC)
                return workspace.forward(training: true)
            }

            model.zeroGradients()
            _ = loss()
            workspace.backward()
            let analytic = Array(model.gradients)
            let analyticH = Array(workspace.dStateH), analyticC = Array(workspace.dStateC)
            let carriedH = Array(workspace.stateH), carriedC = Array(workspace.stateC)

            func compare(_ a: Double, _ numeric: Double, _ label: @autoclosure () -> String) {
                let error = abs(a - numeric) / max(abs(a) + abs(numeric), Self.floor)
                report.checked += 1
                if error > report.worst {
                    report.worst = error
                    report.worstWhere = "window \(window), \(label()): analytic \(a), numeric \(numeric)"
                }
            }
            func numericDerivative(_ nudge: (Double) -> Void) -> Double {
                nudge(epsilon); let plus = loss()
                nudge(-2 * epsilon); let minus = loss()
                nudge(epsilon)
                return (plus - minus) / (2 * epsilon)
            }

            for slot in model.layout.tensors {
                for index in slot.offset..<(slot.offset + slot.count) {
                    let numeric = numericDerivative { model.parameters[index] += $0 }
                    compare(analytic[index], numeric, "\(slot.name)[\(index - slot.offset)]")
                }
            }
            for index in savedH.indices {
                let numeric = numericDerivative { savedH[index] += $0 }
                compare(analyticH[index], numeric, "h0[\(index)]")
            }
            if cell.carriesCellState {
                for index in savedC.indices {
                    let numeric = numericDerivative { savedC[index] += $0 }
                    compare(analyticC[index], numeric, "c0[\(index)]")
                }
            }
            // Carry the state of the unperturbed window into the next one.
            _ = workspace.stateH.update(fromContentsOf: carriedH)
            _ = workspace.stateC.update(fromContentsOf: carriedC)
        }
        return report
    }

    private func assertPasses(_ cell: CellKind, _ variant: GRUVariant = .resetBefore, dropout: Double = 0,
                              file: StaticString = #filePath, line: UInt = #line) {
        for layers in 1...3 {
            for tokenInput in [true, false] {
                let report = gradientCheck(cell: cell, variant: variant, layers: layers, dropout: dropout,
                                           tokenInput: tokenInput)
                print("gradient check \(cell.label(variant: variant)) L=\(layers) "
                      + "dropout=\(dropout) token input \(tokenInput): "
                      + "worst relative error \(report.worst) over \(report.checked) entries (\(report.worstWhere))")
                XCTAssertGreaterThan(report.checked, 100, file: file, line: line)
                XCTAssertLessThan(report.worst, Self.tolerance, report.worstWhere, file: file, line: line)
            }
        }
    }

    func testLSTMGradients() { assertPasses(.lstm) }
    func testGRUResetBeforeGradients() { assertPasses(.gru, .resetBefore) }
    func testGRUResetAfterGradients() { assertPasses(.gru, .resetAfter) }
    func testLayerNormLSTMGradients() { assertPasses(.layerNormLSTM) }

    /// 11 steps: the LSTM keeps c_0, c_4, c_8 and c_11 and recomputes the others in backward.
    func testLSTMGradientsWithRecomputedCellStates() {
        XCTAssertEqual(LSTMLayer<Double>.checkpointInterval(steps: 11), 4)
        for layers in 1...2 {
            let report = gradientCheck(cell: .lstm, layers: layers, steps: 11)
            print("gradient check LSTM L=\(layers), 11 steps: worst relative error \(report.worst) over "
                  + "\(report.checked) entries (\(report.worstWhere))")
            XCTAssertGreaterThan(report.checked, 100)
            XCTAssertLessThan(report.worst, Self.tolerance, report.worstWhere)
        }
    }

    /// A normalisation's backward is needed: treating the cell state's as the identity fails the check.
    func testSkippedNormalizationGradientIsCaught() {
        let report = gradientCheck(cell: .layerNormLSTM, layers: 2, fault: .skipCellNormalizationGradient)
        print("LSTM-LN without the cell normalisation's backward: worst relative error \(report.worst)")
        XCTAssertGreaterThan(report.worst, 1000 * Self.tolerance)
    }

    /// Bidirectional layers, stacked: both directions' parameters and incoming states.
    func testBidirectionalGradients() {
        for (cell, variant) in everyCell {
            for layers in 1...2 {
                for tokenInput in [true, false] {
                    let report = gradientCheck(cell: cell, variant: variant, layers: layers,
                                               dropout: layers == 2 ? 0.25 : 0, bidirectional: true, tokenInput: tokenInput)
                    print("gradient check bidirectional \(cell.rawValue) \(variant.rawValue) L=\(layers) "
                          + "token input \(tokenInput): worst relative error \(report.worst) over \(report.checked) entries")
                    XCTAssertLessThan(report.worst, Self.tolerance,
                                      "\(cell) \(variant) L=\(layers) token input \(tokenInput): \(report.worstWhere)")
                }
            }
        }
        let broken = gradientCheck(cell: .lstm, layers: 2, bidirectional: true, fault: .dropRecurrentTerm)
        XCTAssertGreaterThan(broken.worst, 1000 * Self.tolerance)
    }

    /// ε = 2e-6: with a locked mask, LSTM-LN's truncation error at ε = 1e-5 reaches 1.6e-5 on one
    /// small entry (it falls 10× at 2e-6, as an ε² error does); rounding stays near 2e-6 there.
    func testGradientsWithDropout() {
        for (cell, variant) in everyCell {
            for locked in [false, true] {
                let report = gradientCheck(cell: cell, variant: variant, layers: 2, dropout: 0.3, lockedDropout: locked,
                                           epsilon: 2e-6)
                print("gradient check \(cell.label(variant: variant)) L=2 dropout 0.3\(locked ? " locked" : ""): "
                      + "worst relative error \(report.worst) over \(report.checked) entries")
                XCTAssertLessThan(report.worst, Self.tolerance, "\(cell) \(variant) locked \(locked): \(report.worstWhere)")
            }
        }
    }

    /// A locked mask is the same at every step of a window and differs between windows and streams.
    func testLockedDropoutHoldsOneMaskPerStreamAndWindow() {
        let config = ModelConfig(cell: .lstm, layerCount: 2, hiddenSize: 16, embeddingSize: 4, vocabularySize: 7,
                                 dropout: 0.5)
        let model = CharRNNModel<Double>(config: config, seed: 3)
        let network = UnrolledNetwork(model: model, batchSize: 3, steps: 5, withGradients: true, gradients: nil)
        network.lockedDropout = true
        func dropped(window: UInt64) -> [[Bool]] {  // per row (t, b): which units of layer 0's output are dropped
            network.dropoutCounter = window
            for i in 0..<network.inputs.count { network.inputs[i] = Int32(i % 7); network.targets[i] = 1 }
            _ = network.forward(training: true)
            let mask = network.dropoutMask(ofLayer: 0)!
            return (0..<15).map { row in (0..<16).map { mask[row * 16 + $0] == 0 } }
        }
        let first = dropped(window: 4)
        for t in 1..<5 { for b in 0..<3 { XCTAssertEqual(first[t * 3 + b], first[b], "t=\(t) b=\(b)") } }
        XCTAssertNotEqual(first[0], first[1], "two streams share a mask")
        XCTAssertNotEqual(dropped(window: 5)[0], first[0], "two windows share a mask")
        let dropRate = Double(first.prefix(3).joined().filter { $0 }.count) / 48
        XCTAssertEqual(dropRate, 0.5, accuracy: 0.25)
    }

    /// Layer 0 reading token ids through the projected table computes what it computes from gathered
    /// embedding rows: loss, logits, carried state and every gradient, for both directions of a
    /// bidirectional stack (the reverse one reads the ids backwards in time).
    func testTokenInputEqualsGatheredRows() {
        for (cell, variant) in everyCell {
            for bidirectional in [false, true] {
                let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 6, embeddingSize: 5,
                                         vocabularySize: 9, bidirectional: bidirectional)
                let model = CharRNNModel<Double>(config: config, seed: 3)
                var results: [[Double]] = []
                for tokenInput in [true, false] {
                    let network = UnrolledNetwork(model: model, batchSize: 4, steps: 7, withGradients: true,
                                                  gradients: nil, tokenInput: tokenInput)
                    XCTAssertEqual(network.tokenInput, tokenInput)
                    var generator = SplitMix64(seed: 11)
                    for i in 0..<network.inputs.count {
                        network.inputs[i] = Int32(generator.next() % 9)
                        network.targets[i] = Int32(generator.next() % 9)
                    }
                    model.zeroGradients()
                    let loss = network.forward()
                    let logits = Array(network.logits), stateH = Array(network.stateH)
                    network.backward()
                    results.append([loss] + logits + stateH + Array(model.gradients) + Array(network.dStateH))
                }
                let name = "\(cell) \(variant) bidirectional \(bidirectional)"
                XCTAssertEqual(results[0].count, results[1].count, name)
                let difference = zip(results[0], results[1]).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(difference, 1e-12, name)
            }
        }
    }

    /// The check is only worth something if a wrong backward fails it: drop the gradient that flows
    /// to h_{t−1} through the recurrent weights and the check must catch it, in every cell.
    func testBrokenBackwardIsCaught() {
        for (cell, variant) in everyCell {
            let report = gradientCheck(cell: cell, variant: variant, layers: 2, fault: .dropRecurrentTerm)
            print("broken backward \(cell.rawValue) \(variant.rawValue): worst relative error \(report.worst)")
            XCTAssertGreaterThan(report.worst, 1000 * Self.tolerance, "\(cell) \(variant) fault went unnoticed")
        }
    }
}
