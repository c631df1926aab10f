import XCTest
@testable import CharRNN

/// A backward pass that defers its weight gradients writes none of them, and its shares, added one
/// after another, give the gradients of the ordinary backward pass: what lets LSTM replicas sum
/// their gradients on two threads into one buffer.
final class GradientShareTests: XCTestCase {
    private func fill(_ network: UnrolledNetwork<Float>, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        fillWindow(network, &generator)
    }

    func testSharesOfADeferredBackwardAddUpToTheWholeGradient() {
        // Token input and gathered rows (a window no larger than the vocabulary), one and both directions.
        let cases: [(tokenInput: Bool, bidirectional: Bool, layers: Int, shares: Int)] =
            [(true, false, 2, 2), (false, false, 2, 3), (true, true, 2, 2), (false, true, 1, 2)]
        for c in cases {
            let label = "token input \(c.tokenInput), bidirectional \(c.bidirectional), \(c.shares) shares"
            let config = ModelConfig(cell: .lstm, layerCount: c.layers, hiddenSize: 32, embeddingSize: 8,
                                     vocabularySize: 50, bidirectional: c.bidirectional)
            let model = CharRNNModel<Float>(config: config, seed: 3)
            let network = UnrolledNetwork(model: model, batchSize: 4, steps: 9, withGradients: true, gradients: nil,
                                          tokenInput: c.tokenInput)
            fill(network, seed: 8)
            model.zeroGradients()
            network.forward(training: true)
            network.backward()
            let whole = Array(model.gradients), dStateH = Array(network.dStateH), dStateC = Array(network.dStateC)

            fill(network, seed: 8)
            model.zeroGradients()
            network.forward(training: true)
            network.backward(deferringWeightGradients: true)
            XCTAssertTrue(model.gradients.allSatisfy { $0 == 0 }, "\(label): a deferred backward wrote a gradient")
            XCTAssertEqual(Array(network.dStateH), dStateH, label)
            XCTAssertEqual(Array(network.dStateC), dStateC, label)
            for index in 0..<c.shares {
                network.accumulateWeightGradients(share: GradientShare(index: index, count: c.shares))
            }
            let scale = whole.map { abs($0) }.max()!
            let difference = zip(whole, model.gradients).map { abs($0 - $1) }.max()!
            XCTAssertGreaterThan(scale, 0, label)
            XCTAssertLessThanOrEqual(difference, 1e-6 * scale, "\(label): shares differ from the whole by \(difference)")
            // Every tensor got its share: none is left at zero where the whole has a gradient.
            for slot in model.layout.tensors {
                let range = slot.offset..<(slot.offset + slot.count)
                if whole[range].contains(where: { $0 != 0 }) {
                    XCTAssertTrue(model.gradients[range].contains { $0 != 0 }, "\(label): \(slot.name) left out")
                }
            }
        }
    }

    /// Replicas that sum their gradients in shares compute what replicas with buffers of their own
    /// compute, up to summation order, and the same from run to run.
    func testReplicasSharingGradientsTrainLikeReplicasWithBuffersOfTheirOwn() {
        let config = ModelConfig(cell: .lstm, layerCount: 2, hiddenSize: 32, embeddingSize: 8, vocabularySize: 30,
                                 dropout: 0.2)
        func gradients(sharing: Bool) -> [Float] {
            let model = CharRNNModel<Float>(config: config, seed: 9)
            let replicas = StreamReplicas(model: model, streams: 0..<6, totalStreams: 6, steps: 12, replicaCount: 2,
                                          sharingGradients: sharing)
            XCTAssertEqual(replicas.sharesGradients, sharing)
            replicas.dropoutSeed = 4
            for (r, network) in replicas.networks.enumerated() {
                fill(network, seed: 20 + UInt64(r))
            }
            _ = replicas.forwardBackward()
            return Array(model.gradients)
        }
        let shared = gradients(sharing: true), own = gradients(sharing: false)
        let scale = own.map { abs($0) }.max()!
        let difference = zip(shared, own).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(scale, 0)
        XCTAssertLessThanOrEqual(difference, 1e-6 * scale, "sharing the gradient buffer changed the gradients by \(difference)")
        XCTAssertEqual(gradients(sharing: true), shared, "two runs that share the buffer differ")
    }

    /// The rule: LSTM replicas of a model of `gradientSharingParameters` or more share one buffer;
    /// smaller models, other cells and a lone replica keep their own.
    func testLargeLSTMReplicasShareOneGradientBuffer() {
        for (cell, variant) in everyCell {
            for (layers, hidden) in [(2, 16), (3, 512)] {
                let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: layers, hiddenSize: hidden,
                                         embeddingSize: 8, vocabularySize: 20)
                let model = CharRNNModel<Float>(config: config, seed: 1)
                let large = model.parameterCount >= StreamReplicas.gradientSharingParameters
                if cell == .lstm { XCTAssertEqual(large, hidden == 512) }
                let replicas = StreamReplicas(model: model, streams: 0..<4, totalStreams: 4, steps: 2, replicaCount: 2)
                XCTAssertEqual(replicas.sharesGradients, cell == .lstm && large, "\(cell.label(variant: variant)) \(layers)×\(hidden)")
                let alone = StreamReplicas(model: model, streams: 0..<4, totalStreams: 4, steps: 2, replicaCount: 1)
                XCTAssertFalse(alone.sharesGradients, "one replica has nothing to share")
            }
        }
    }
}
