import XCTest
@testable import CharRNN

/// The AVX2 recurrent kernels, forced on, compute what the generic Float path computes: logits,
/// loss, carried state, every parameter's gradient and the incoming-state gradients of one window.
final class RecurrentKernelPathTests: XCTestCase {
    static let cells: [(CellKind, GRUVariant)] = [(.lstm, .resetBefore), (.gru, .resetBefore), (.gru, .resetAfter)]

    private struct WindowResult {
        var loss: Double
        var logits, stateH, stateC, gradients, dStateH, dStateC: [Float]
    }

    /// One forward and backward pass of a fixed window of `B` streams and `T` steps under `path`.
    /// H = 48 makes several panels per gate block.
    private func window(_ config: ModelConfig, batch B: Int, steps T: Int, path: RecurrentKernelPath) -> WindowResult {
        let saved = RecurrentKernels.path
        RecurrentKernels.path = path
        defer { RecurrentKernels.path = saved }
        XCTAssertEqual(PackedRecurrentKernels<Float>.isUsed(hidden: config.hiddenSize, steps: T), path == .avx2)
        let model = CharRNNModel<Float>(config: config, seed: 21)
        let network = UnrolledNetwork(model: model, batchSize: B, steps: T)
        var generator = SplitMix64(seed: 4)
        let V = UInt64(config.vocabularySize)
        for i in 0..<network.inputs.count {
            network.inputs[i] = Int32(generator.next() % V)
            network.targets[i] = Int32(generator.next() % V)
        }
        // A carried state away from zero, so the first step's recurrent product matters too.
        for i in 0..<network.stateH.count {
            network.stateH[i] = Float(Int(generator.next() % 2001) - 1000) / 1250
            network.stateC[i] = Float(Int(generator.next() % 2001) - 1000) / 500
        }
        network.gradients.update(repeating: 0)
        let loss = network.forward()
        let logits = Array(network.logits)
        let (stateH, stateC) = (Array(network.stateH), Array(network.stateC))
        network.backward()
        return WindowResult(loss: loss, logits: logits, stateH: stateH, stateC: stateC,
                            gradients: Array(network.gradients), dStateH: Array(network.dStateH),
                            dStateC: Array(network.dStateC))
    }

    /// max |fast − generic| ≤ 1e-5 · max(|generic|) for one tensor, named in the failure.
    private func assertClose(_ fast: [Float], _ generic: [Float], _ what: String) {
        XCTAssertEqual(fast.count, generic.count, what)
        let scale = generic.map { abs($0) }.max() ?? 0
        let difference = zip(fast, generic).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(scale, 0, "\(what) is all zeros: the comparison would prove nothing")
        XCTAssertLessThanOrEqual(difference, 1e-5 * scale, "\(what): max difference \(difference), scale \(scale)")
    }

    func testAVX2PathEqualsGenericPath() throws {
        try XCTSkipUnless(RecurrentKernels.best == .avx2, "this CPU has no AVX2 and FMA: the AVX2 path cannot run here")
        // Register tiles are 12, 6 or 3 rows high: 5 streams run only the shorter tiles for the rows
        // left over, 13 run full tiles and then a one-row tile, for every panel width. The panels go
        // into idle gradient buffers when those hold gates·H² values: not at 5 × 9 (45 rows of 48
        // units < 4·48²), at 13 × 16 (208 rows) they do, in every layer of a stack of 3, and for the
        // bidirectional stack the reverse directions take the buffer of their own.
        let windows: [(batch: Int, steps: Int, layers: Int, bidirectional: Bool)] =
            [(5, 9, 2, false), (13, 16, 3, false), (13, 16, 3, true)]
        for (cell, variant) in Self.cells {
          for shape in windows {
            let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: shape.layers, hiddenSize: 48,
                                     embeddingSize: 7, vocabularySize: 23, bidirectional: shape.bidirectional)
            let name = "\(cell) \(variant) \(shape)"
            let generic = window(config, batch: shape.batch, steps: shape.steps, path: .generic)
            let fast = window(config, batch: shape.batch, steps: shape.steps, path: .avx2)
            XCTAssertEqual(fast.loss, generic.loss, accuracy: 1e-5 * generic.loss, name)
            assertClose(fast.logits, generic.logits, "\(name) output")
            assertClose(fast.stateH, generic.stateH, "\(name) final h")
            if cell == .lstm { assertClose(fast.stateC, generic.stateC, "\(name) final c") }
            let layout = CharRNNModel<Float>(config: config, seed: 21).layout
            for tensor in layout.tensors {
                let range = tensor.offset..<(tensor.offset + tensor.count)
                assertClose(Array(fast.gradients[range]), Array(generic.gradients[range]), "\(name) ∂\(tensor.name)")
            }
            assertClose(fast.dStateH, generic.dStateH, "\(name) ∂h_0")
            if cell == .lstm { assertClose(fast.dStateC, generic.dStateC, "\(name) ∂c_0") }
          }
        }
    }

    /// The packed kernels are used only where they pay and can run: Float, H a multiple of 16,
    /// windows of 8 steps or more, the AVX2 path.
    func testPackedKernelsAreUsedOnlyWhereTheyApply() {
        let saved = RecurrentKernels.path
        defer { RecurrentKernels.path = saved }
        RecurrentKernels.path = .avx2
        XCTAssertTrue(PackedRecurrentKernels<Float>.isUsed(hidden: 512, steps: 100))
        XCTAssertFalse(PackedRecurrentKernels<Double>.isUsed(hidden: 512, steps: 100))
        XCTAssertFalse(PackedRecurrentKernels<Float>.isUsed(hidden: 40, steps: 100))
        XCTAssertFalse(PackedRecurrentKernels<Float>.isUsed(hidden: 512, steps: 1))
        RecurrentKernels.path = .generic
        XCTAssertFalse(PackedRecurrentKernels<Float>.isUsed(hidden: 512, steps: 100))
    }

    func testEnvironmentChoosesThePathOrExplainsTheMistake() throws {
        let saved = RecurrentKernels.path
        defer { RecurrentKernels.path = saved }
        try RecurrentKernels.applyEnvironment([RecurrentKernels.environmentVariable: "generic"])
        XCTAssertEqual(RecurrentKernels.path, .generic)
        try RecurrentKernels.applyEnvironment([:])
        XCTAssertEqual(RecurrentKernels.path, .generic, "an unset variable leaves the path alone")
        XCTAssertThrowsError(try RecurrentKernels.applyEnvironment([RecurrentKernels.environmentVariable: "avx9"])) {
            XCTAssertEqual("\($0)", "CHARNN_KERNELS=avx9: not a kernel path; use one of generic, avx2, or unset it")
        }
    }
}
