import MallocCounter
import XCTest
@testable import CharRNN

/// A training step allocates nothing once warmed up: counted by interposing malloc in this binary.
/// OpenBLAS's own small-matrix kernels, which these tiny shapes reach, allocate a scratch buffer per
/// call; the counter leaves allocations made directly by libopenblas out (at the standard shapes it
/// makes none either: `LD_PRELOAD` counting of `charnn bench`, README).
final class AllocationTests: XCTestCase {
    private func allocations(cell: CellKind, variant: GRUVariant = .resetBefore, dropout: Double, replicaCount: Int) -> UInt64 {
        let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 32, embeddingSize: 8,
                                 vocabularySize: 20, dropout: dropout)
        let model = CharRNNModel<Float>(config: config, seed: 1)
        let adam = Adam(parameterCount: model.parameterCount)
        let replicas = StreamReplicas(model: model, streams: 0..<8, totalStreams: 8, steps: 10, replicaCount: replicaCount)
        for workspace in replicas.networks {
            for i in 0..<workspace.inputs.count {
                workspace.inputs[i] = Int32(i % 20)
                workspace.targets[i] = Int32((i * 7) % 20)
            }
        }
        setBLASThreadCount(1)
        for step in 0..<3 {  // warm-up: OpenBLAS sets up its buffers on first use
            replicas.dropoutCounter = UInt64(step)
            trainOnWindow(replicas, adam: adam, clip: 5, learningRate: 1e-3)
        }
        malloc_counter_start()
        for step in 3..<13 {
            replicas.dropoutCounter = UInt64(step)
            trainOnWindow(replicas, adam: adam, clip: 5, learningRate: 1e-3)
        }
        return malloc_counter_stop()
    }

    func testTrainingStepsDoNotAllocate() {
        for (cell, variant) in [(CellKind.lstm, GRUVariant.resetBefore), (.gru, .resetBefore), (.gru, .resetAfter)] {
            XCTAssertEqual(allocations(cell: cell, variant: variant, dropout: 0.2, replicaCount: 1), 0, "\(cell) \(variant)")
            XCTAssertEqual(allocations(cell: cell, variant: variant, dropout: 0, replicaCount: 2), 0, "\(cell) \(variant), 2 replicas")
        }
    }

    /// The counter itself counts: an array allocation while counting is seen.
    func testCounterSeesAnAllocation() {
        malloc_counter_start()
        let values = [Int](repeating: 7, count: Int.random(in: 1000...2000))
        let counted = malloc_counter_stop()
        XCTAssertGreaterThan(values.count, 0)
        XCTAssertGreaterThan(counted, 0)
    }
}
