import XCTest
@testable import CharRNN

/// Every packed path this CPU runs (AVX2, AVX-512), forced on, computes what the generic Float path
/// computes: logits, loss, carried state, every parameter's gradient and the incoming-state gradients
/// of one window, and the clipping and Adam that follow; and its plain products are the naive
/// loops' products.
final class RecurrentKernelPathTests: XCTestCase {
    static let cells = everyCell

    private struct WindowResult {
        var loss: Double
        var logits, stateH, stateC, gradients, dStateH, dStateC: [Float]
    }

    /// One forward and backward pass of a fixed window of `B` streams and `T` steps under `path`.
    private func window(_ config: ModelConfig, batch B: Int, steps T: Int, path: RecurrentKernelPath) -> WindowResult {
        let saved = RecurrentKernels.path
        RecurrentKernels.path = path
        defer { RecurrentKernels.path = saved }
        XCTAssertEqual(PackedRecurrentKernels<Float>.isUsed(hidden: config.hiddenSize, steps: T), path != .generic)
        let model = CharRNNModel<Float>(config: config, seed: 21)
        let network = UnrolledNetwork(model: model, batchSize: B, steps: T)
        var generator = SplitMix64(seed: 4)
        fillWindow(network, &generator)
        network.gradients.update(repeating: 0)
        let loss = network.forward()
        let logits = Array(network.logits)
        let (stateH, stateC) = (Array(network.stateH), Array(network.stateC))
        network.backward()
        return WindowResult(loss: loss, logits: logits, stateH: stateH, stateC: stateC,
                            gradients: Array(network.gradients), dStateH: Array(network.dStateH),
                            dStateC: Array(network.dStateC))
    }

    /// The same window's gradients (parameters, then ∂h_0 and ∂c_0) in Double, from the Float model's
    /// weights: what the Float paths' rounding is measured against.
    private func referenceGradients(_ config: ModelConfig, batch B: Int, steps T: Int) -> [Double] {
        let floatModel = CharRNNModel<Float>(config: config, seed: 21)
        let model = CharRNNModel<Double>(config: config, seed: 21)
        for i in 0..<model.parameterCount { model.parameters[i] = Double(floatModel.parameters[i]) }
        let network = UnrolledNetwork(model: model, batchSize: B, steps: T)
        var generator = SplitMix64(seed: 4)
        fillWindow(network, &generator)
        network.gradients.update(repeating: 0)
        _ = network.forward()
        network.backward()
        return Array(network.gradients) + Array(network.dStateH) + Array(network.dStateC)
    }

    /// max |fast − generic| ≤ tolerance · max(|generic|) for one tensor, named in the failure.
    private func assertClose(_ fast: [Float], _ generic: [Float], _ what: String, tolerance: Float = 1e-5) {
        XCTAssertEqual(fast.count, generic.count, what)
        let scale = generic.map { abs($0) }.max() ?? 0
        let difference = zip(fast, generic).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(scale, 0, "\(what) is all zeros: the comparison would prove nothing")
        XCTAssertLessThanOrEqual(difference, tolerance * scale, "\(what): max difference \(difference), scale \(scale)")
    }

    /// Skips, with the reason, a path this CPU cannot run.
    private func skipUnlessRunnable(_ path: RecurrentKernelPath) throws {
        if let reason = InstructionSets.current.reasonCannotRun(path) {
            throw XCTSkip("\(reason): the \(path) path cannot run here")
        }
    }

    func testAVX2PathEqualsGenericPath() throws {
        try assertEqualsGenericPath(.avx2)
    }

    func testAVX512PathEqualsGenericPath() throws {
        try assertEqualsGenericPath(.avx512)
    }

    private func assertEqualsGenericPath(_ path: RecurrentKernelPath) throws {
        try skipUnlessRunnable(path)
        // Register tiles are up to 12 rows high on AVX2 and 20 on AVX-512: 5 streams run only the
        // shorter tiles for the rows left over, 13 and 29 full tiles and then shorter ones, for every
        // panel width. H = 48 makes several panels per gate block, and on AVX-512 one group of 48
        // columns in backward's products; H = 32 two groups of 16. The panels go into idle gradient
        // buffers when those hold gates·H² values: not at 5 × 9 (45 rows of 48 units < 4·48²), at
        // 13 × 16 (208 rows) they do, in every layer of a stack of 3, and for the bidirectional stack
        // the reverse directions take the buffer of their own.
        let windows: [(batch: Int, steps: Int, layers: Int, hidden: Int, bidirectional: Bool)] =
            [(5, 9, 2, 48, false), (13, 16, 3, 48, false), (13, 16, 3, 48, true), (29, 8, 2, 32, false)]
        for (cell, variant) in Self.cells {
          for shape in windows {
            let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: shape.layers,
                                     hiddenSize: shape.hidden, embeddingSize: 7, vocabularySize: 23,
                                     bidirectional: shape.bidirectional)
            let name = "\(path) \(cell) \(variant) \(shape)"
            let generic = window(config, batch: shape.batch, steps: shape.steps, path: .generic)
            let fast = window(config, batch: shape.batch, steps: shape.steps, path: path)
            XCTAssertEqual(fast.loss, generic.loss, accuracy: 1e-5 * generic.loss, name)
            assertClose(fast.logits, generic.logits, "\(name) output")
            assertClose(fast.stateH, generic.stateH, "\(name) final h")
            if cell.carriesCellState { assertClose(fast.stateC, generic.stateC, "\(name) final c") }
            // The layer-normalised LSTM's backward divides by each row's deviation at every step, which
            // magnifies Float's rounding: against the same window in Double, the generic Float path's
            // gradients are up to 6.0e-5 of their scale off and the AVX2 path's 9.7e-5 (Zen 3,
            // OpenBLAS `Zen`, the bidirectional 3-layer stack; 16 steps). So for that cell each path is
            // held to 2e-4 of the Double gradients and to the generic path; a wrong gradient is off by
            // far more.
            let gradientTolerance: Float = cell == .layerNormLSTM ? 2e-4 : 1e-5
            let layout = CharRNNModel<Float>(config: config, seed: 21).layout
            var tensors = layout.tensors.map { (name: "∂" + $0.name, range: $0.offset..<($0.offset + $0.count)) }
            let states = fast.dStateH.count, end = layout.totalCount
            tensors.append((name: "∂h_0", range: end..<(end + states)))
            if cell.carriesCellState { tensors.append((name: "∂c_0", range: (end + states)..<(end + 2 * states))) }
            let fastAll = fast.gradients + fast.dStateH + fast.dStateC
            let genericAll = generic.gradients + generic.dStateH + generic.dStateC
            let reference = cell == .layerNormLSTM
                ? referenceGradients(config, batch: shape.batch, steps: shape.steps).map { Float($0) } : nil
            for tensor in tensors {
                let (fastPart, genericPart) = (Array(fastAll[tensor.range]), Array(genericAll[tensor.range]))
                assertClose(fastPart, genericPart, "\(name) \(tensor.name)", tolerance: gradientTolerance)
                if let reference {
                    let exact = Array(reference[tensor.range])
                    assertClose(fastPart, exact, "\(name) \(tensor.name) against Double", tolerance: gradientTolerance)
                    assertClose(genericPart, exact, "generic \(name) \(tensor.name) against Double",
                                tolerance: gradientTolerance)
                }
            }
          }
        }
    }

    func testAVX2OptimiserStepEqualsGenericPath() throws {
        try assertOptimiserStepEqualsGenericPath(.avx2)
    }

    func testAVX512OptimiserStepEqualsGenericPath() throws {
        try assertOptimiserStepEqualsGenericPath(.avx512)
    }

    /// The rest of a training step on a vector path (the clipping norm and scaling, Adam and AdamW)
    /// computes what the generic loops compute, over steps whose gradients are clipped and not, on a
    /// count that is no multiple of the vector width and spans the norm's 4,096-value blocks.
    private func assertOptimiserStepEqualsGenericPath(_ path: RecurrentKernelPath) throws {
        try skipUnlessRunnable(path)
        let count = 10_007
        for weightDecay in [0.0, 0.1] {
            func run(_ path: RecurrentKernelPath) -> (parameters: [Float], m: [Float], v: [Float], norms: [Double]) {
                let saved = RecurrentKernels.path
                RecurrentKernels.path = path
                defer { RecurrentKernels.path = saved }
                var random = SplitMix64(seed: 17)
                let parameters = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
                let gradients = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
                defer { parameters.deallocate(); gradients.deallocate() }
                for i in 0..<count { parameters[i] = Float(random.nextNormal()) }
                let adam = Adam(parameterCount: count, settings: Adam.Settings(weightDecay: weightDecay))
                var norms: [Double] = []
                for step in 0..<4 {
                    let size = step % 2 == 0 ? 0.01 : 1.0  // norms about 1 and 100: clipped at 5 every other step
                    for i in 0..<count { gradients[i] = Float(random.nextNormal() * size) }
                    norms.append(clipGradientNorm(gradients, limit: 5))
                    adam.update(parameters: parameters, gradients: UnsafeBufferPointer(gradients), learningRate: 2e-3)
                }
                return (Array(parameters), Array(adam.m), Array(adam.v), norms)
            }
            let generic = run(.generic), fast = run(path)
            let name = "\(path) weight decay \(weightDecay)"
            for (a, b) in zip(fast.norms, generic.norms) { XCTAssertEqual(a, b, accuracy: 1e-6 * b, "\(name) norm") }
            XCTAssertGreaterThan(generic.norms[1], 5, "the comparison covers a clipped step")
            assertClose(fast.parameters, generic.parameters, "\(name) parameters")
            assertClose(fast.m, generic.m, "\(name) first moment")
            assertClose(fast.v, generic.v, "\(name) second moment")
        }
    }

    /// A network of fixed weights (the serving batcher's: panels packed once, one-step windows on
    /// the packed path) computes what the generic path computes, window after window.
    func testFixedWeightNetworksEqualTheGenericPath() throws {
        var ran = false
        for path in RecurrentKernelPath.allCases where path != .generic && InstructionSets.current.canRun(path) {
            ran = true
            for (cell, variant) in everyCell {
                let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 32,
                                         embeddingSize: 7, vocabularySize: 23)
                let model = CharRNNModel<Float>(config: config, seed: 8)
                func run(_ path: RecurrentKernelPath) -> [Float] {
                    let saved = RecurrentKernels.path
                    RecurrentKernels.path = path
                    defer { RecurrentKernels.path = saved }
                    let network = UnrolledNetwork(model: model, batchSize: 5, steps: 1, withGradients: false,
                                                  fixedWeights: true)
                    var results: [Float] = []
                    for step in 0..<4 {
                        for row in 0..<5 { network.inputs[row] = Int32((step * 7 + row * 3) % 23) }
                        network.computeLogits()
                        results += Array(network.logits) + Array(network.stateH) + Array(network.stateC)
                    }
                    return results
                }
                let generic = run(.generic), fast = run(path)
                let scale = generic.map { abs($0) }.max() ?? 0
                let difference = zip(fast, generic).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertEqual(fast.count, generic.count)
                XCTAssertGreaterThan(scale, 0)
                XCTAssertLessThanOrEqual(difference, 1e-5 * scale, "\(path) \(cell) \(variant)")
            }
        }
        if !ran { throw XCTSkip("this CPU runs no packed path (\(InstructionSets.current.reasonCannotRun(.avx2) ?? ""))") }
    }

    /// A one-step fixed-weight network whose steps a second thread shares by units (`splittingSteps`,
    /// `StepPartner`) computes bit for bit what one thread computes: every output unit is summed in
    /// the same order whichever part computes it. Every cell, both packed paths where the CPU runs
    /// them, one stream (sampling) and a batch (serving), three layers (the parts meet between them;
    /// GRU reset-before also within a step). The layer-normalised LSTM is not split.
    func testASplitStepEqualsOneThreadsStepBitForBit() throws {
        try XCTSkipUnless(StepPartner.hasSecondCore, "this machine has one core: no second thread to split a step onto")
        var ran: [RecurrentKernelPath] = []
        for path in RecurrentKernelPath.allCases where path != .generic && InstructionSets.current.canRun(path) {
            ran.append(path)
            let saved = RecurrentKernels.path
            RecurrentKernels.path = path
            defer { RecurrentKernels.path = saved }
            for (cell, variant) in everyCell {
                let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 3, hiddenSize: 64,
                                         embeddingSize: 7, vocabularySize: 23)
                let model = CharRNNModel<Float>(config: config, seed: 11)
                for rows in [1, 3] {
                    let one = UnrolledNetwork(model: model, batchSize: rows, steps: 1, withGradients: false,
                                              fixedWeights: true)
                    let split = UnrolledNetwork(model: model, batchSize: rows, steps: 1, withGradients: false,
                                                fixedWeights: true, splittingSteps: true)
                    XCTAssertFalse(one.splitsSteps)
                    XCTAssertEqual(split.splitsSteps, cell != .layerNormLSTM, "\(path) \(cell) \(variant)")
                    for step in 0..<6 {
                        var results: [[Float]] = []
                        for network in [one, split] {
                            for row in 0..<rows { network.inputs[row] = Int32((step * 7 + row * 5 + 2) % 23) }
                            network.computeLogits()
                            results.append(Array(network.logits) + Array(network.stateH) + Array(network.stateC))
                        }
                        let difference = zip(results[0], results[1]).map { abs($0 - $1) }.max() ?? .infinity
                        XCTAssertTrue(results[0] == results[1],
                                      "\(path) \(cell) \(variant), \(rows) rows, step \(step): differs by \(difference)")
                    }
                }
            }
        }
        if ran.isEmpty { throw XCTSkip("this CPU runs no packed path (\(InstructionSets.current.reasonCannotRun(.avx2) ?? ""))") }
        if !ran.contains(.avx512) {
            print("testASplitStepEqualsOneThreadsStepBitForBit: ran on \(ran.map(\.rawValue)); the avx512 path was not tested: \(InstructionSets.current.reasonCannotRun(.avx512) ?? "")")
        }
    }

    /// A network's step partner ends with the network: the process has as many threads after a
    /// hundred split networks have come and gone as before.
    func testTheStepPartnerEndsWithItsNetwork() throws {
        try XCTSkipUnless(StepPartner.hasSecondCore, "this machine has one core: no second thread to split a step onto")
        guard InstructionSets.current.canRun(.avx2) else {
            throw XCTSkip("this CPU runs no packed path (\(InstructionSets.current.reasonCannotRun(.avx2) ?? ""))")
        }
        func threads() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count }
        let config = ModelConfig(cell: .lstm, layerCount: 2, hiddenSize: 64, embeddingSize: 7, vocabularySize: 23)
        let model = CharRNNModel<Float>(config: config, seed: 3)
        let before = try threads()
        for round in 0..<100 {
            let network = UnrolledNetwork(model: model, batchSize: 1, steps: 1, withGradients: false,
                                          fixedWeights: true, splittingSteps: true)
            XCTAssertTrue(network.splitsSteps)
            for step in 0..<(round % 3) {
                network.inputs[0] = Int32(step)
                network.computeLogits()
            }
        }
        var after = try threads()
        for _ in 0..<100 where after > before {  // a stopped thread takes a moment to leave
            usleep(10_000)
            after = try threads()
        }
        XCTAssertEqual(after, before, "threads before and after 100 split networks")
    }

    /// A fixed-weight network reads its first layer's input from a table of projected embedding rows
    /// built on its first step: step after step it computes what a network gathering the rows
    /// computes, and the table is built once (the weights are fixed while it lives: a change to the
    /// embedding afterwards does not reach it).
    func testAFixedWeightNetworksTokenTableEqualsGatheredRowsAndIsBuiltOnce() throws {
        for (cell, variant) in everyCell {
            let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 32, embeddingSize: 7,
                                     vocabularySize: 23)
            let model = CharRNNModel<Float>(config: config, seed: 8)
            let fixed = UnrolledNetwork(model: model, batchSize: 3, steps: 1, withGradients: false, fixedWeights: true)
            let gathering = UnrolledNetwork(model: model, batchSize: 3, steps: 1, withGradients: false)
            XCTAssertTrue(fixed.tokenInput, "\(cell) \(variant)")
            XCTAssertFalse(gathering.tokenInput, "3 rows are fewer than the 23 symbols: \(cell) \(variant)")
            func step(_ network: UnrolledNetwork<Float>, _ t: Int) -> [Float] {
                for row in 0..<3 { network.inputs[row] = Int32((t * 5 + row * 7) % 23) }
                network.computeLogits()
                return Array(network.logits) + Array(network.stateH) + Array(network.stateC)
            }
            func assertClose(_ a: [Float], _ b: [Float], _ what: String) {
                let scale = b.map { abs($0) }.max() ?? 0
                XCTAssertGreaterThan(scale, 0)
                XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max() ?? .infinity, 1e-5 * scale,
                                         "\(what), \(cell) \(variant)")
            }
            for t in 0..<4 { assertClose(step(fixed, t), step(gathering, t), "step \(t)") }
            // Step 4 with the embedding moved: the fixed network still reads the table of step 0.
            let embedding = model.layout.embedding.offset
            for i in 0..<(23 * 7) { model.parameters[embedding + i] += 0.5 }
            let fixedAfterChange = step(fixed, 4)
            for i in 0..<(23 * 7) { model.parameters[embedding + i] -= 0.5 }
            assertClose(fixedAfterChange, step(gathering, 4), "step 4, embedding moved after the table was built")
        }
    }

    /// A fixed-weight network that borrows another's packed panels (the batcher's networks of other
    /// sizes) computes what one packing its own computes, and holds the panels' scalars fewer
    /// (weight_hh's, and weight_ih's of the layers reading rows).
    func testANetworkSharingPanelsEqualsOneWithItsOwn() throws {
        guard InstructionSets.current.canRun(.avx2) else {
            throw XCTSkip("this CPU runs no packed path (\(InstructionSets.current.reasonCannotRun(.avx2) ?? ""))")
        }
        for (cell, variant) in everyCell {
            let config = ModelConfig(cell: cell, gruVariant: variant, layerCount: 2, hiddenSize: 32, embeddingSize: 7,
                                     vocabularySize: 23)
            let model = CharRNNModel<Float>(config: config, seed: 8)
            let lender = UnrolledNetwork(model: model, batchSize: 1, steps: 1, withGradients: false, fixedWeights: true)
            let own = UnrolledNetwork(model: model, batchSize: 4, steps: 1, withGradients: false, fixedWeights: true)
            let borrowing = UnrolledNetwork(model: model, batchSize: 4, steps: 1, withGradients: false, fixedWeights: true,
                                            sharingPanelsOf: lender)
            for network in [own, borrowing] {
                for step in 0..<3 {
                    for row in 0..<4 { network.inputs[row] = Int32((step * 5 + row * 3) % 23) }
                    network.computeLogits()
                }
            }
            XCTAssertEqual(Array(borrowing.logits), Array(own.logits), "\(cell) \(variant)")
            XCTAssertEqual(Array(borrowing.stateH), Array(own.stateH), "\(cell) \(variant)")
            // weight_hh of every layer and weight_ih of the layers reading rows (here 32 wide), packed once.
            let panels = (2 * config.layerCount - 1) * cell.gateCount * 32 * 32
            XCTAssertEqual(own.bufferScalarCount - borrowing.bufferScalarCount, panels, "\(cell) \(variant)")
        }
    }

    /// forwardProduct and backwardProduct against the naive loops, overwriting and accumulating, on
    /// rows whose stride exceeds their width, for every packed path this CPU runs:
    ///
    ///     forward:  c[r, b·H + j] (+)= Σ_k a[r, k] · W[b·H + j, k]   W (blocks·H, H)
    ///     backward: c[r, j] (+)= Σ_k a[r, k] · W[k, j]               W (depth, H)
    func testPlainProductsAreTheNaiveProducts() throws {
        typealias Packed = PackedRecurrentKernels<Float>
        var ran = false
        for path in RecurrentKernelPath.allCases where path != .generic && InstructionSets.current.canRun(path) {
            ran = true
            let saved = RecurrentKernels.path
            RecurrentKernels.path = path
            defer { RecurrentKernels.path = saved }
            var generator = SplitMix64(seed: 9)
            func random(_ count: Int) -> [Float] {
                (0..<count).map { _ in Float(Int(generator.next() % 2001) - 1000) / 1000 }
            }
            // 250 rows: several row blocks (96 rows on AVX2, 120 on AVX-512) and a partial last one.
            for (H, rows) in [(48, 13), (32, 29), (16, 250)] {
                for blocks in 1...4 {
                    let (lda, ldc) = (H + 3, blocks * H + 5)
                    let a = random(rows * lda), w = random(blocks * H * H), start = random(rows * ldc)
                    var panels = [Float](repeating: 0, count: blocks * H * H)
                    Packed.packForward(w, interleavedBlocks: blocks, separateBlocks: 0, hidden: H, into: &panels)
                    for accumulate in [false, true] {
                        var c = start
                        Packed.forwardProduct(a, rows: rows, hidden: H, lda: lda, panels: panels, blocks: blocks,
                                              into: &c, ldc: ldc, accumulate: accumulate)
                        var expected = start
                        for r in 0..<rows {
                            for n in 0..<(blocks * H) {
                                let sum = (0..<H).reduce(Float(0)) { $0 + a[r * lda + $1] * w[n * H + $1] }
                                expected[r * ldc + n] = (accumulate ? start[r * ldc + n] : 0) + sum
                            }
                        }
                        assertClose(c, expected, "\(path) forwardProduct H \(H) blocks \(blocks) \(accumulate)")
                    }
                }
                let depth = 3 * H, (lda, ldc) = (depth + 2, H + 1)
                let a = random(rows * lda), w = random(depth * H), start = random(rows * ldc)
                var panels = [Float](repeating: 0, count: depth * H)
                Packed.packBackward(w, hidden: H, depth: depth, into: &panels)
                for accumulate in [false, true] {
                    var c = start
                    Packed.backwardProduct(a, rows: rows, depth: depth, lda: lda, panels: panels, hidden: H, into: &c,
                                           ldc: ldc, accumulate: accumulate)
                    var expected = start
                    for r in 0..<rows {
                        for j in 0..<H {
                            let sum = (0..<depth).reduce(Float(0)) { $0 + a[r * lda + $1] * w[$1 * H + j] }
                            expected[r * ldc + j] = (accumulate ? start[r * ldc + j] : 0) + sum
                        }
                    }
                    assertClose(c, expected, "\(path) backwardProduct H \(H) \(accumulate)")
                }
            }
        }
        try XCTSkipUnless(ran, "this CPU runs no packed path")
    }

    /// The packed kernels are used only where they pay and can run: Float, H a multiple of 16,
    /// windows of 8 steps or more, a packed path.
    func testPackedKernelsAreUsedOnlyWhereTheyApply() {
        let saved = RecurrentKernels.path
        defer { RecurrentKernels.path = saved }
        for path in [RecurrentKernelPath.avx2, .avx512] where InstructionSets.recurrentKernels(path) != nil {
            RecurrentKernels.path = path
            XCTAssertTrue(PackedRecurrentKernels<Float>.isUsed(hidden: 512, steps: 100), "\(path)")
            XCTAssertTrue(PackedRecurrentKernels<Float>.isUsed(hidden: 48, steps: 100), "\(path)")
            XCTAssertFalse(PackedRecurrentKernels<Double>.isUsed(hidden: 512, steps: 100), "\(path)")
            XCTAssertFalse(PackedRecurrentKernels<Float>.isUsed(hidden: 40, steps: 100), "\(path)")
            XCTAssertFalse(PackedRecurrentKernels<Float>.isUsed(hidden: 512, steps: 1), "\(path)")
            // A matrix only multiplied takes as many blocks (4, 2 or 1) as split its rows into whole panels.
            let lanes = path == .avx2 ? 8 : 16
            XCTAssertEqual(PackedRecurrentKernels<Float>.rowsBlocks(rows: 3 * 512), 4, "\(path)")
            XCTAssertEqual(PackedRecurrentKernels<Float>.rowsBlocks(rows: 6 * lanes), 2, "\(path)")
            XCTAssertEqual(PackedRecurrentKernels<Float>.rowsBlocks(rows: 3 * lanes), 1, "\(path)")
            XCTAssertNil(PackedRecurrentKernels<Float>.rowsBlocks(rows: lanes + 4), "\(path)")
        }
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
            XCTAssertEqual("\($0)",
                           "CHARNN_KERNELS=avx9: not a kernel path; use one of generic, avx2, avx512, or unset it")
        }
        // A path the CPU cannot run: the reason, and the paths it can.
        var avx2CPU = CPUFeatures(isX86: true)
        (avx2CPU.avx, avx2CPU.avx2, avx2CPU.fma, avx2CPU.osSavesYMM) = (true, true, true, true)
        let avx2Only = InstructionSets(cpu: avx2CPU)
        XCTAssertThrowsError(try RecurrentKernels.applyEnvironment([RecurrentKernels.environmentVariable: "avx512"],
                                                                   instructionSets: avx2Only)) {
            XCTAssertEqual("\($0)", "CHARNN_KERNELS=avx512: this CPU has no AVX-512F/OS ZMM support; "
                           + "use generic, avx2, or unset it")
        }
        let arm = InstructionSets(cpu: CPUFeatures(isX86: false))
        XCTAssertThrowsError(try RecurrentKernels.applyEnvironment([RecurrentKernels.environmentVariable: "AVX2"],
                                                                   instructionSets: arm)) {
            XCTAssertEqual("\($0)", "CHARNN_KERNELS=AVX2: this CPU has no AVX2 and FMA; use generic, or unset it")
        }
        XCTAssertEqual(RecurrentKernels.path, .generic, "a refused path leaves the path alone")
    }
}
