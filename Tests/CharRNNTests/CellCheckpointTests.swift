import XCTest
@testable import CharRNN

/// A training LSTM keeps only every K-th cell state and recomputes the others in backward
/// (`LSTMLayer.cellState(at:)`): the loss, the carried state, every gradient and the incoming-state
/// gradients are those of a network that keeps them all, bit for bit, on every kernel path this CPU
/// runs; and the network holds fewer scalars by what it does not keep.
final class CellCheckpointTests: XCTestCase {
    private struct WindowResult: Equatable {
        var loss: Double
        var stateH, stateC, gradients, dStateH, dStateC: [Float]
    }

    /// Two windows in a row (the second from the state the first carried), forward and backward.
    private func twoWindows(_ network: UnrolledNetwork<Float>) -> WindowResult {
        var generator = SplitMix64(seed: 11)
        network.gradients.update(repeating: 0)
        var loss = 0.0
        for window in 0..<2 {
            fillWindow(network, &generator, state: window == 0)
            loss += network.forward(training: true)
            network.backward()
        }
        return WindowResult(loss: loss, stateH: Array(network.stateH), stateC: Array(network.stateC),
                            gradients: Array(network.gradients), dStateH: Array(network.dStateH),
                            dStateC: Array(network.dStateC))
    }

    func testRecomputedCellStatesGiveTheSameTrainingBitForBit() {
        // T = 9 and 16 end on a kept state (K = 3, 4), T = 10 and 50 do not (K = 4, 8); T = 7 keeps all.
        // H = 48 runs the packed paths (a multiple of 16 lanes), H = 5 only the generic one.
        let windows: [(steps: Int, batch: Int, hidden: Int, layers: Int, bidirectional: Bool)] =
            [(9, 3, 48, 2, false), (10, 5, 48, 1, true), (16, 4, 5, 2, false), (50, 3, 48, 2, false), (7, 3, 48, 1, false)]
        let saved = RecurrentKernels.path
        defer { RecurrentKernels.path = saved }
        for path in RecurrentKernelPath.allCases {
            if let reason = InstructionSets.current.reasonCannotRun(path) {
                print("cell checkpoints: the \(path) path was not tested: \(reason)")
                continue
            }
            RecurrentKernels.path = path
            for window in windows {
                let config = ModelConfig(cell: .lstm, layerCount: window.layers, hiddenSize: window.hidden,
                                         embeddingSize: 8, vocabularySize: 11, bidirectional: window.bidirectional)
                let model = CharRNNModel<Float>(config: config, seed: 5)
                func network(keepingAll: Bool) -> UnrolledNetwork<Float> {
                    UnrolledNetwork(model: model, batchSize: window.batch, steps: window.steps, withGradients: true,
                                    gradients: nil, tokenInput: true, keepsEveryCellState: keepingAll)
                }
                let kept = network(keepingAll: true), recomputed = network(keepingAll: false)
                let label = "\(path) path, T \(window.steps), B \(window.batch), H \(window.hidden), "
                    + "\(window.layers) layer(s)\(window.bidirectional ? ", bidirectional" : "")"
                let expected = twoWindows(kept), actual = twoWindows(recomputed)
                XCTAssertTrue(expected.gradients.contains { $0 != 0 }, "\(label): no gradient to compare")
                XCTAssertEqual(actual, expected, "\(label): recomputing the cell states changed the training")

                let K = LSTMLayer<Float>.checkpointInterval(steps: window.steps)
                let slotsKept = K == 0 ? window.steps + 1 : (window.steps + K - 1) / K + 1 + (K - 1)
                let saving = (window.steps + 1 - slotsKept) * window.batch * window.hidden * window.layers
                    * (window.bidirectional ? 2 : 1)
                XCTAssertEqual(kept.bufferScalarCount - recomputed.bufferScalarCount, saving, label)
                if window.steps >= 8 { XCTAssertGreaterThan(saving, 0, label) }
                print("cell checkpoints, \(label): K \(K), \(saving) scalars fewer, training unchanged")
            }
        }
    }

    /// Three layers of 512 units, 32 streams and 100 steps (a replica of the README's L benchmark):
    /// each layer keeps 20 of the 101 cell-state slots.
    func testALargeWindowKeepsAFifthOfItsCellStates() {
        XCTAssertEqual(LSTMLayer<Float>.checkpointInterval(steps: 100), 10)
        XCTAssertEqual(LSTMLayer<Float>.checkpointInterval(steps: 50), 8)
        XCTAssertEqual(LSTMLayer<Float>.checkpointInterval(steps: 7), 0)
        let config = ModelConfig(cell: .lstm, layerCount: 3, hiddenSize: 512, embeddingSize: 64, vocabularySize: 65)
        let model = CharRNNModel<Float>(config: config, seed: 1)
        let training = UnrolledNetwork(model: model, batchSize: 32, steps: 100)
        let keepingAll = UnrolledNetwork(model: model, batchSize: 32, steps: 100, withGradients: true, gradients: nil,
                                         tokenInput: true, keepsEveryCellState: true)
        XCTAssertEqual(keepingAll.bufferScalarCount - training.bufferScalarCount, 3 * (101 - 20) * 32 * 512)
    }
}
