import XCTest
@testable import CharRNN

final class ForwardTests: XCTestCase {
    static let cells = everyCell

    /// Truncated BPTT carries the state exactly: one window of 8 steps and two of 4 give the same
    /// losses and the same final state.
    func testChunkedForwardEqualsWholeForward() {
        for (cell, variant) in Self.cells {
            let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 6,
                                     embeddingSize: 3, vocabularySize: 9)
            let model = CharRNNModel<Double>(config: config, seed: 3)
            let B = 2
            var generator = SplitMix64(seed: 11)
            let stream = (0..<(8 * B)).map { _ in Int32(generator.next() % 9) }
            let targets = (0..<(8 * B)).map { _ in Int32(generator.next() % 9) }

            let whole = UnrolledNetwork(model: model, batchSize: B, steps: 8)
            _ = whole.inputs.update(fromContentsOf: stream)
            _ = whole.targets.update(fromContentsOf: targets)
            let wholeLoss = whole.forward()

            let half = UnrolledNetwork(model: model, batchSize: B, steps: 4)
            var total = 0.0
            for part in 0..<2 {
                let range = (part * 4 * B)..<((part + 1) * 4 * B)
                _ = half.inputs.update(fromContentsOf: stream[range])
                _ = half.targets.update(fromContentsOf: targets[range])
                total += half.forward()
            }
            XCTAssertEqual(total / 2, wholeLoss, accuracy: 1e-12, "\(cell) \(variant)")
            XCTAssertEqual(Array(half.stateH), Array(whole.stateH), "\(cell) \(variant)")
            XCTAssertEqual(Array(half.stateC), Array(whole.stateC), "\(cell) \(variant)")
        }
    }

    /// One row times a transposed matrix (the batch-1 step, which goes to gemv) is the naive
    /// product, with a row stride in b and alpha, beta applied, in Float and Double alike.
    func testOneRowTimesTransposedIsTheNaiveProduct() {
        func check<Scalar: BLASScalar>(_: Scalar.Type) {
            let (n, k, ldb) = (5, 3, 4)
            let a: [Scalar] = [1, -2, 0.5]
            let b: [Scalar] = (0..<(n * ldb)).map { Scalar($0 % 7) - 3 }
            var c: [Scalar] = [1, 2, 3, 4, 5]
            let expected = (0..<n).map { j in
                2 * (0..<k).reduce(Scalar(0)) { $0 + a[$1] * b[j * ldb + $1] } + 0.5 * c[j]
            }
            Scalar.gemm(transA: false, transB: true, m: 1, n: n, k: k, alpha: 2, a: a, lda: k, b: b, ldb: ldb,
                        beta: 0.5, c: &c, ldc: n)
            XCTAssertEqual(c, expected, "\(Scalar.self)")
        }
        check(Float.self)
        check(Double.self)
    }

    /// The Float path (sgemm) computes what the Double path (dgemm) computes, to float precision.
    func testFloatAndDoubleModelsAgree() {
        for (cell, variant) in Self.cells {
            let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 16,
                                     embeddingSize: 8, vocabularySize: 20)
            let single = CharRNNModel<Float>(config: config, seed: 5)
            let double = CharRNNModel<Double>(config: config, seed: 5)
            let a = UnrolledNetwork(model: single, batchSize: 3, steps: 7)
            let b = UnrolledNetwork(model: double, batchSize: 3, steps: 7)
            for i in 0..<a.inputs.count {
                a.inputs[i] = Int32((i * 7) % 20); b.inputs[i] = a.inputs[i]
                a.targets[i] = Int32((i * 3 + 1) % 20); b.targets[i] = a.targets[i]
            }
            XCTAssertEqual(a.forward(), b.forward(), accuracy: 1e-5, "\(cell) \(variant)")
        }
    }

    /// A fresh model predicts close to uniformly: the loss starts near ln V.
    func testInitialLossIsNearUniform() {
        let config = ModelConfig(layerCount: 2, hiddenSize: 32, embeddingSize: 8, vocabularySize: 50)
        let network = UnrolledNetwork(model: CharRNNModel<Float>(config: config, seed: 1), batchSize: 4, steps: 10)
        for i in 0..<network.inputs.count {
            network.inputs[i] = Int32(i % 50); network.targets[i] = Int32((i * 13) % 50)
        }
        XCTAssertEqual(network.forward(), Foundation.log(50.0), accuracy: 0.15)
    }

    /// Initial weights depend only on the seed and the architecture; PyTorch's bounds hold.
    func testInitialisationIsSeededAndBounded() {
        let config = ModelConfig(layerCount: 2, hiddenSize: 64, embeddingSize: 64, vocabularySize: 100)
        let a = CharRNNModel<Float>(config: config, seed: 9), b = CharRNNModel<Float>(config: config, seed: 9)
        var withDropout = config
        withDropout.dropout = 0.5
        let c = CharRNNModel<Float>(config: withDropout, seed: 9)
        let d = CharRNNModel<Float>(config: config, seed: 10)
        XCTAssertEqual(Array(a.parameters), Array(b.parameters))
        XCTAssertEqual(Array(a.parameters), Array(c.parameters), "dropout must not change the initial weights")
        XCTAssertNotEqual(Array(a.parameters), Array(d.parameters))
        let bound = Float(1 / 8.0)
        for name in ["rnn.weight_hh_l1", "rnn.bias_ih_l0", "decoder.weight", "decoder.bias"] {
            let values = a.tensor(name)!
            XCTAssertLessThanOrEqual(values.map(abs).max()!, bound, name)
            XCTAssertGreaterThan(values.map(abs).max()!, bound * 0.9, name)
        }
        let embedding = a.tensor("embedding.weight")!
        let mean = embedding.reduce(0, +) / Float(embedding.count)
        let variance = embedding.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(embedding.count)
        XCTAssertEqual(mean, 0, accuracy: 0.05)     // 6,400 draws: σ of the mean 0.0125
        XCTAssertEqual(variance, 1, accuracy: 0.08)
    }

    /// PyTorch's names and shapes, in state_dict order.
    func testParameterLayoutFollowsPyTorch() {
        let layout = ParameterLayout(ModelConfig(cell: .gru, layerCount: 2, hiddenSize: 10, embeddingSize: 4, vocabularySize: 7))
        XCTAssertEqual(layout.tensors.map(\.name), [
            "embedding.weight",
            "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
            "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
            "decoder.weight", "decoder.bias",
        ])
        XCTAssertEqual(layout.slot(named: "rnn.weight_ih_l0")?.shape, [30, 4])
        XCTAssertEqual(layout.slot(named: "rnn.weight_ih_l1")?.shape, [30, 10])
        XCTAssertEqual(layout.slot(named: "decoder.weight")?.shape, [7, 10])
        XCTAssertEqual(layout.totalCount, 28 + 2 * (30 * 10 + 60) + 30 * 4 + 30 * 10 + 70 + 7)
    }
}
