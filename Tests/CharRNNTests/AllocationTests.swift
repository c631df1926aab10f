import MallocCounter
import XCTest
@testable import CharRNN

/// A training step allocates nothing once warmed up: counted by interposing malloc in this binary.
/// OpenBLAS's own small-matrix kernels, which these tiny shapes reach, allocate a scratch buffer per
/// call; the counter leaves allocations made directly by libopenblas out (at the standard shapes it
/// makes none either: `LD_PRELOAD` counting of `charnn bench`, README).
final class AllocationTests: XCTestCase {
    private func allocations(cell: CellKind, variant: GRUVariant = .resetBefore, dropout: Double, replicaCount: Int,
                             sharingGradients: Bool? = nil) -> UInt64 {
        let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 32, embeddingSize: 8,
                                 vocabularySize: 20, dropout: dropout)
        let model = CharRNNModel<Float>(config: config, seed: 1)
        let adam = Adam(parameterCount: model.parameterCount)
        let replicas = StreamReplicas(model: model, streams: 0..<8, totalStreams: 8, steps: 10, replicaCount: replicaCount,
                                      sharingGradients: sharingGradients)
        if dropout > 0 {  // every regulariser at once: locked masks, DropConnect, embedding dropout
            replicas.lockedDropout = true
            replicas.recurrentDropConnect = WeightDropout(model: model, target: .recurrentWeights, probability: dropout)
            replicas.embeddingDropout = WeightDropout(model: model, target: .embeddingRows, probability: dropout)
        }
        for network in replicas.networks {
            for i in 0..<network.inputs.count {
                network.inputs[i] = Int32(i % 20)
                network.targets[i] = Int32((i * 7) % 20)
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
        for (cell, variant) in everyCell {
            XCTAssertEqual(allocations(cell: cell, variant: variant, dropout: 0.2, replicaCount: 1), 0, "\(cell) \(variant)")
            XCTAssertEqual(allocations(cell: cell, variant: variant, dropout: 0, replicaCount: 2), 0, "\(cell) \(variant), 2 replicas")
        }
        XCTAssertEqual(allocations(cell: .lstm, dropout: 0.2, replicaCount: 2, sharingGradients: true), 0,
                       "LSTM, 2 replicas sharing one gradient buffer")
    }

    /// Nor does a step split between two threads (`StepPartner`), on either thread (the counter counts
    /// every thread's allocations): every cell that splits, one stream and a batch.
    func testSplitStepsDoNotAllocate() throws {
        try XCTSkipUnless(StepPartner.hasSecondCore, "this machine has one core: no second thread to split a step onto")
        guard InstructionSets.current.canRun(.avx2) else {
            throw XCTSkip("this CPU runs no packed path (\(InstructionSets.current.reasonCannotRun(.avx2) ?? "")): no step to split")
        }
        setBLASThreadCount(1)
        for (cell, variant) in everyCell where cell != .layerNormLSTM {
            let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 3, hiddenSize: 64, embeddingSize: 8,
                                     vocabularySize: 20)
            let model = CharRNNModel<Float>(config: config, seed: 1)
            for rows in [1, 4] {
                let network = UnrolledNetwork(model: model, batchSize: rows, steps: 1, withGradients: false,
                                              fixedWeights: true, splittingSteps: true)
                XCTAssertTrue(network.splitsSteps)
                for step in 0..<3 {  // warm-up: the table is built on the first step
                    network.inputs[0] = Int32(step)
                    network.computeLogits()
                }
                malloc_counter_start()
                for step in 3..<23 {
                    network.inputs[0] = Int32(step % 20)
                    network.computeLogits()
                }
                XCTAssertEqual(malloc_counter_stop(), 0, "\(cell) \(variant), \(rows) rows")
            }
        }
    }

    /// The counter itself counts, so that the zeros above mean something: nothing between start and
    /// stop counts 0; each of 100 allocations made in between is counted; none after stop is.
    func testCounterCountsEachAllocation() {
        malloc_counter_start()
        XCTAssertEqual(malloc_counter_stop(), 0)

        let n = 100
        var blocks: [UnsafeMutableRawPointer] = []
        blocks.reserveCapacity(2 * n)  // before counting: appending then allocates nothing itself
        malloc_counter_start()
        for _ in 0..<n { blocks.append(UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)) }
        let counted = malloc_counter_stop()
        for _ in 0..<n { blocks.append(UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)) }
        let afterStop = malloc_counter_stop()
        for block in blocks { block.deallocate() }
        XCTAssertGreaterThanOrEqual(counted, UInt64(n))
        XCTAssertEqual(afterStop, counted, "stopped: the later allocations are not counted")
    }
}
