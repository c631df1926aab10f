/// Everything a forward and backward pass over one window of `T` steps for `B` streams needs,
/// allocated once (one arena of scalars, one of ids) and reused for every window of that shape:
/// the per-step loops never allocate. It also holds the recurrent state carried from window to
/// window (truncated BPTT: the state carries over, the gradient stops at the window's start).
///
/// Buffers, all row-major, with W = H (or 2H, bidirectional): `inputs`, `targets` (T, B) ids;
/// `embedded` (T, B, E) unless layer 0 reads token ids (`tokenInput`); per layer k its stage's
/// caches, `dropped[k]` and `masks[k]` (T, B, W) when dropout is on, `dOutputs[k]` (T, B, W; two
/// buffers used in turn); `logits` (T·B, V); `stateH`, `stateC` (L·directions, B, H) and their
/// gradients `dStateH`, `dStateC`.
public final class UnrolledNetwork<Scalar: BLASScalar> {
    public let model: CharRNNModel<Scalar>
    public let batchSize: Int
    public let steps: Int

    /// Input ids of the window, (T, B): position (t, b) is `inputs[t * B + b]`.
    let inputs: UnsafeMutableBufferPointer<Int32>
    /// Target ids of the window, (T, B).
    let targets: UnsafeMutableBufferPointer<Int32>
    /// The carried hidden state (L·directions, B, H) and, for cells that carry one, the cell state; their
    /// gradients ∂loss/∂(incoming state) after `backward`.
    let stateH, stateC, dStateH, dStateC: UnsafeMutableBufferPointer<Scalar>
    /// (T·B, V): raw logits after `computeLogits`, softmax probabilities after `forward`,
    /// ∂loss/∂logits after `backward`.
    let logits: UnsafeMutableBufferPointer<Scalar>

    /// Fixed-weight networks: where each layer's packed panels live (its own arena, or a lender's).
    private let packedPanels: [(forwardDirection: PanelPlacement<Scalar>?, reverseDirection: PanelPlacement<Scalar>?)]
    /// The network whose panels this one reads, kept alive with it.
    private let panelLender: UnrolledNetwork<Scalar>?
    private let arena: Arena<Scalar>
    private let ids: UnsafeMutableBufferPointer<Int32>
    private let embedded: UnsafeMutablePointer<Scalar>?
    private let dEmbedded: UnsafeMutablePointer<Scalar>?
    /// Whether layer 0 projects token ids through a (V, G·H) table instead of multiplying gathered
    /// embedding rows (`InputProjection`): when the window has more rows than the vocabulary.
    let tokenInput: Bool
    /// Whether this network holds gradient buffers (`backward` needs them).
    public let withGradients: Bool
    /// Where `backward` accumulates, in the model's parameter layout.
    let gradients: UnsafeMutableBufferPointer<Scalar>
    let stages: [StackLayer<Scalar>]
    /// Every recurrent layer, in state order (layer-major, forward direction first).
    private let layers: [CellLayer<Scalar>]
    private let dropped: [UnsafeMutablePointer<Scalar>]
    private let masks: [UnsafeMutablePointer<Scalar>]
    private let dOutputs: [UnsafeMutablePointer<Scalar>]
    private var maskedLastForward = false
    /// The thread that computes the units from `splitPoint` on of every step, when steps are split.
    private var stepPartner: StepPartner?
    private var splitPoint = 0

    /// Dropout masks are a pure function of (seed, counter, layer, position, global stream, unit):
    /// the trainer sets the counter to the step, so a resumed run, or one whose streams are split
    /// across processes, draws exactly the masks of an uninterrupted single-process run.
    public var dropoutSeed: UInt64 = 0
    public var dropoutCounter: UInt64 = 0
    /// Variational (locked) dropout: one mask per stream and window, the same at every time step
    /// (Gal & Ghahramani 2016), instead of one per position.
    public var lockedDropout = false
    /// The global index of this network's first stream, and the number of streams in all.
    public var streamOffset = 0
    public var totalStreams: Int

    /// Breaks the backward pass on purpose; only the tests that prove the gradient check fails set it.
    var fault = GradientFault.none

    /// A network for windows of `steps` × `batchSize`. A forward-only one (`withGradients` false:
    /// validation, scoring, sampling) holds no gradient buffers and cannot run `backward`.
    /// `gradients` (the model's layout) receives what `backward` accumulates: by default the
    /// model's own buffer; a replica training on other streams at the same time has its own.
    /// `fixedWeights` (forward-only networks): the model's weights do not change while the network
    /// lives, so the packed kernels' panels are packed once, here, each layer keeping its own, and
    /// even one-step windows run on the packed path (the serving batcher's); the first layer reads its
    /// input from a table of projected embedding rows built on the first step. `sharingPanelsOf`, a
    /// fixed-weights network of the same model, lends its packed panels instead (the batcher's
    /// networks of other sizes hold one copy between them) and is kept alive by this one.
    /// `splittingSteps` (a one-step fixed-weight network): a second thread computes half of each
    /// layer's units at every step (`StepPartner`), where the cell and the path allow (`splitsSteps`).
    public convenience init(model: CharRNNModel<Scalar>, batchSize B: Int, steps T: Int, withGradients: Bool = true,
                            gradients: UnsafeMutableBufferPointer<Scalar>? = nil, fixedWeights: Bool = false,
                            sharingPanelsOf lender: UnrolledNetwork<Scalar>? = nil, splittingSteps: Bool = false) {
        // The table of projected embedding rows costs a (V × D × G) product each time it is built:
        // worth it per window when the window has more rows than the vocabulary, always when built once.
        self.init(model: model, batchSize: B, steps: T, withGradients: withGradients, gradients: gradients,
                  tokenInput: fixedWeights || T * B > model.config.vocabularySize, fixedWeights: fixedWeights,
                  sharingPanelsOf: lender)
        if splittingSteps { startSplittingSteps() }
    }

    /// Whether a second thread computes half of each step's units (`splittingSteps`).
    public var splitsSteps: Bool { stepPartner != nil }

    /// Starts the step partner when the machine has a second core and every layer's steps can be
    /// split (unidirectional, each at least two panels wide): the caller's part is the first half of
    /// the panels, rounded down, since it also runs the decoder after.
    private func startSplittingSteps() {
        guard StepPartner.hasSecondCore, stepPartner == nil, !model.config.bidirectional,
              layers.allSatisfy(\.splitsSteps),
              let lanes = RecurrentKernels.kernels.map({ Int($0.pointee.lanes) }) else { return }
        let panels = model.config.hiddenSize / lanes
        guard panels >= 2 else { return }
        splitPoint = panels / 2 * lanes
        stepPartner = StepPartner(step: self)
    }

    /// `tokenInput` chooses layer 0's input projection (the tests run both on one window);
    /// `keepsEveryCellState` (default: unless the network trains) whether LSTM layers keep every
    /// step's cell state or recompute most of them in backward (the tests compare the two).
    init(model: CharRNNModel<Scalar>, batchSize B: Int, steps T: Int, withGradients: Bool,
         gradients: UnsafeMutableBufferPointer<Scalar>?, tokenInput: Bool, fixedWeights: Bool = false,
         sharingPanelsOf lender: UnrolledNetwork<Scalar>? = nil, keepsEveryCellState: Bool? = nil) {
        precondition(!(fixedWeights && withGradients), "a network that trains changes its weights")
        precondition(lender.map { fixedWeights && $0.model === model && !$0.packedPanels.isEmpty } ?? true,
                     "panels are lent only between fixed-weight networks of one model")
        precondition(B > 0 && T > 0, "window must be non-empty: batch \(B), steps \(T)")
        precondition(gradients.map { $0.count == model.parameterCount } ?? true, "gradient buffer of the wrong size")
        self.model = model
        self.gradients = gradients ?? model.gradients
        batchSize = B
        steps = T
        totalStreams = B
        self.withGradients = withGradients
        self.tokenInput = tokenInput
        ids = .allocate(capacity: 2 * T * B)
        ids.initialize(repeating: 0)
        inputs = UnsafeMutableBufferPointer(rebasing: ids[0..<(T * B)])
        targets = UnsafeMutableBufferPointer(rebasing: ids[(T * B)...])
        let gradients = self.gradients
        let built = Arena<Scalar>.build { arena in
            Buffers(model: model, batch: B, steps: T, withGradients: withGradients, gradients: gradients,
                    tokenInput: tokenInput, fixedWeights: fixedWeights, lentPanels: lender?.packedPanels,
                    keepsEveryCellState: keepsEveryCellState ?? !withGradients, arena: arena)
        }
        panelLender = lender
        packedPanels = fixedWeights ? built.layout.placements : []
        arena = built.arena
        let buffers = built.layout
        embedded = buffers.embedded
        dEmbedded = buffers.dEmbedded
        logits = buffers.logits
        (stateH, stateC, dStateH, dStateC) = (buffers.stateH, buffers.stateC, buffers.dStateH, buffers.dStateC)
        stages = buffers.stages
        layers = buffers.stages.flatMap(\.directions)
        dropped = buffers.dropped
        masks = buffers.masks
        dOutputs = buffers.dOutputs
        if fixedWeights, lender == nil {
            for layer in layers { layer.packForwardPanels() }
            for (k, placement) in packedPanels.enumerated() {
                for (direction, panels) in [placement.forwardDirection, placement.reverseDirection].enumerated() {
                    guard let input = panels?.inputWeights else { continue }
                    let weights = RecurrentTensors(model.parameters, layout: model.layout, layer: k, direction: direction)
                    PackedRecurrentKernels.packRows(weights.weightIH, into: input, blocks: model.config.cell.gateCount)
                }
            }
        }
    }

    /// Scalars this network holds in its own buffers (panels lent by another network not counted).
    var bufferScalarCount: Int { arena.scalarCount }

    /// The network's scalar buffers, sliced from one arena in one place (see `Arena.build`).
    private struct Buffers {
        let embedded, dEmbedded: UnsafeMutablePointer<Scalar>?
        let logits, stateH, stateC, dStateH, dStateC: UnsafeMutableBufferPointer<Scalar>
        var stages: [StackLayer<Scalar>] = []
        var dropped: [UnsafeMutablePointer<Scalar>] = []
        var masks: [UnsafeMutablePointer<Scalar>] = []
        var dOutputs: [UnsafeMutablePointer<Scalar>] = []
        var placements: [(forwardDirection: PanelPlacement<Scalar>?, reverseDirection: PanelPlacement<Scalar>?)] = []

        init(model: CharRNNModel<Scalar>, batch B: Int, steps T: Int, withGradients: Bool,
             gradients: UnsafeMutableBufferPointer<Scalar>, tokenInput: Bool, fixedWeights: Bool,
             lentPanels: [(forwardDirection: PanelPlacement<Scalar>?, reverseDirection: PanelPlacement<Scalar>?)]?,
             keepsEveryCellState: Bool, arena: Arena<Scalar>) {
            let config = model.config
            let (L, H, E, V) = (config.layerCount, config.hiddenSize, config.embeddingSize, config.vocabularySize)
            let W = config.outputSize, states = L * config.directionCount, rows = T * B
            embedded = tokenInput ? nil : arena.slice(rows * E).baseAddress!
            dEmbedded = withGradients && !tokenInput ? arena.slice(rows * E).baseAddress! : nil
            logits = arena.slice(rows * V)
            stateH = arena.slice(states * B * H)
            stateC = arena.slice(states * B * H)
            dStateH = arena.slice(withGradients ? states * B * H : 0)
            dStateC = arena.slice(withGradients ? states * B * H : 0)
            // Gradient scratch that every layer uses in turn (`CellKind.sharedGradientScratch`).
            let scratchCount = config.cell.sharedGradientScratch(variant: config.gruVariant, rows: rows, hidden: H)
            let sharedScratch = withGradients && scratchCount > 0 ? arena.slice(scratchCount).baseAddress! : nil
            if withGradients {
                // Layer k reads dOutputs[k] and writes dOutputs[k − 1]: two buffers in turn serve all.
                for k in 0..<L { dOutputs.append(k < 2 ? arena.slice(rows * W).baseAddress! : dOutputs[k - 2]) }
            }
            placements = lentPanels ?? (fixedWeights
                ? UnrolledNetwork.packedOncePlacements(config: config, arena: arena)
                : UnrolledNetwork.panelPlacements(config: config, rows: rows, steps: T, dOutputs: dOutputs, arena: arena))
            for k in 0..<L {
                stages.append(StackLayer(model: model, layer: k, batch: B, steps: T, gradients: gradients,
                                         withGradients: withGradients, sharedScratch: sharedScratch,
                                         panels: placements[k].forwardDirection,
                                         reversePanels: placements[k].reverseDirection,
                                         tokenInput: tokenInput && k == 0, fixedWeights: fixedWeights,
                                         keepsEveryCellState: keepsEveryCellState, arena: arena))
                if withGradients {
                    if config.dropout > 0 {
                        dropped.append(arena.slice(rows * W).baseAddress!)
                        masks.append(arena.slice(rows * W).baseAddress!)
                    }
                }
            }
        }
    }

    deinit {
        stepPartner?.stop()
        ids.deallocate()
    }

    /// Where each layer's directions pack weight_hh (nil off the packed path, and for the reverse
    /// direction of a unidirectional stack), in memory idle at the time:
    /// forward passes use dOutputs[0], which backward alone fills; layer k ≥ 1 steps backward in
    /// dOutputs[k − 1], its input gradient, written only after its steps; layer 0 in dOutputs[1],
    /// which nothing uses once layer 1 is done. One buffer of their own holds the rest: forward-only
    /// networks, a single layer, buffers too small, and the reverse direction of a bidirectional
    /// layer k ≥ 1, which steps after its forward direction has written dOutputs[k − 1].
    private static func panelPlacements(config: ModelConfig, rows: Int, steps T: Int,
                                        dOutputs: [UnsafeMutablePointer<Scalar>], arena: Arena<Scalar>)
        -> [(forwardDirection: PanelPlacement<Scalar>?, reverseDirection: PanelPlacement<Scalar>?)] {
        let (L, H) = (config.layerCount, config.hiddenSize)
        guard PackedRecurrentKernels<Scalar>.isUsed(hidden: H, steps: T) else {
            return Array(repeating: (nil, nil), count: L)
        }
        let size = config.cell.gateCount * H * H
        let idle = !dOutputs.isEmpty && rows * config.outputSize >= size
        var own: UnsafeMutablePointer<Scalar>?
        func ownBuffer() -> UnsafeMutablePointer<Scalar> {
            if let own { return own }
            own = arena.slice(size).baseAddress!
            return own!
        }
        let forward = idle ? dOutputs[0] : ownBuffer()
        return (0..<L).map { k in
            let backward = idle && k > 0 ? dOutputs[k - 1] : idle && L > 1 ? dOutputs[1] : ownBuffer()
            let reverse = config.bidirectional
                ? PanelPlacement(forward: forward, backward: k > 0 ? ownBuffer() : backward) : nil
            return (PanelPlacement(forward: forward, backward: backward), reverse)
        }
    }

    /// With fixed weights: one panel buffer per layer and direction, packed once (`packedOnce`); a
    /// forward-only network has no backward to place.
    private static func packedOncePlacements(config: ModelConfig, arena: Arena<Scalar>)
        -> [(forwardDirection: PanelPlacement<Scalar>?, reverseDirection: PanelPlacement<Scalar>?)] {
        let (L, H) = (config.layerCount, config.hiddenSize)
        guard PackedRecurrentKernels<Scalar>.isUsed(hidden: H, steps: .max) else {
            return Array(repeating: (nil, nil), count: L)
        }
        let G = config.cell.gateCount * H
        func own(layer k: Int) -> PanelPlacement<Scalar> {
            let buffer = arena.slice(G * H).baseAddress!
            let D = config.inputSize(ofLayer: k)
            let input = k == 0 ? nil : PackedRows(panels: arena.slice(G * D).baseAddress!, hidden: H, depth: D)
            return PanelPlacement(forward: buffer, backward: buffer, packedOnce: true, inputWeights: input)
        }
        return (0..<L).map { k in (own(layer: k), config.bidirectional ? own(layer: k) : nil) }
    }

    /// Zeroes the carried state, as at the start of an epoch or of a text.
    public func resetState() {
        stateH.update(repeating: 0)
        stateC.update(repeating: 0)
    }

    /// Runs the window in `inputs` from the carried state, scores it against `targets`, carries the
    /// final state into `stateH`/`stateC`, and returns the mean cross-entropy in nats per position.
    /// In `training` passes dropout masks are drawn (see `drawMask`); otherwise dropout is off.
    /// `rowLosses`, when given, receives each position's loss (T·B, in the order of `targets`).
    @discardableResult
    public func forward(training: Bool = false, rowLosses: UnsafeMutablePointer<Double>? = nil) -> Double {
        computeLogits(training: training)
        let rows = batchSize * steps
        let total = SoftmaxCrossEntropy.forward(logits: logits.baseAddress!, targets: targets.baseAddress!,
                                                rows: rows, classes: model.config.vocabularySize, rowLosses: rowLosses)
        return total / Double(rows)
    }

    /// Runs the window in `inputs` from the carried state and leaves the decoder's raw logits in
    /// `logits` (T·B, V), without scoring; the final state is carried as by `forward`.
    public func computeLogits(training: Bool = false) {
        let config = model.config
        let (rows, V, W) = (batchSize * steps, config.vocabularySize, config.outputSize)
        let parameters = model.parameters.baseAddress!
        let x = advance(training: training)

        // Decoder: logits = x · W_decᵀ + b_dec.
        let logits = self.logits.baseAddress!
        broadcastRows(parameters + model.layout.decoderBias.offset, plus: nil, rows: rows, columns: V, into: logits)
        Scalar.gemm(transA: false, transB: true, m: rows, n: V, k: W, alpha: 1, a: x, lda: W,
                    b: parameters + model.layout.decoderWeight.offset, ldb: W, beta: 1, c: logits, ldc: V)
    }

    /// Runs the window in `inputs` through the embedding and the recurrent layers only, carrying
    /// the final state as `computeLogits` does: what priming a long text needs, without the
    /// decoder's (T·B, V) GEMM. Returns the top layer's output (T, B, W).
    @discardableResult
    public func advance(training: Bool = false) -> UnsafePointer<Scalar> {
        let config = model.config
        let (B, T, E, H, V) = (batchSize, steps, config.embeddingSize, config.hiddenSize, config.vocabularySize)
        let W = config.outputSize
        let rows = T * B, stateCount = B * H
        let parameters = model.parameters.baseAddress!

        assert(inputs.allSatisfy { $0 >= 0 && Int($0) < V }, "an input id is outside the vocabulary of \(V)")
        if let embedded {  // layer 0's input rows, gathered from the embedding table
            let table = parameters + model.layout.embedding.offset
            for r in 0..<rows {
                (embedded + r * E).update(from: table + Int(inputs[r]) * E, count: E)
            }
        }

        maskedLastForward = training && withGradients && config.dropout > 0
        // Index loops: no iterator or closure in the per-window path, in any build.
        for i in 0..<layers.count {
            layers[i].loadState(h: stateH.baseAddress! + i * stateCount, c: stateC.baseAddress! + i * stateCount,
                            count: stateCount)
        }
        if let stepPartner, !stages[0].forwardLayer.buildsFixedTable {
            stepPartner.run()
        } else {
            for k in 0..<stages.count {
                let stage = stages[k]
                stage.forward(input: layerInput(k))
                if maskedLastForward {
                    drawMask(masks[k], layer: k, width: W, keep: 1 - config.dropout)
                    multiply(stage.output, by: masks[k], into: dropped[k], count: rows * W)
                }
            }
        }
        for i in 0..<layers.count {
            layers[i].storeFinalState(h: stateH.baseAddress! + i * stateCount, c: stateC.baseAddress! + i * stateCount,
                                  count: stateCount)
        }
        return layerOutput(stages.count - 1)
    }

    /// Adds the gradient of the last `forward`'s mean loss to the model's gradients (which the
    /// caller zeroes once per optimiser step) and leaves ∂loss/∂(incoming state) in `dStateH`/`dStateC`.
    /// `deferringWeightGradients` (when the cell `defersWeightGradients`) writes no gradient: every layer's
    /// input gradient and the state gradients are computed, the weight gradients left to
    /// `accumulateWeightGradients(share:)`, which may then run in parts on several threads.
    public func backward(deferringWeightGradients: Bool = false) {
        precondition(!deferringWeightGradients || model.config.cell.defersWeightGradients, "this cell does not defer its weight gradients")
        precondition(withGradients, "backward needs a network made withGradients")
        let config = model.config
        let (B, T, H, V, L) = (batchSize, steps, config.hiddenSize, config.vocabularySize, config.layerCount)
        let W = config.outputSize
        let rows = T * B, stateCount = B * H
        let logits = self.logits.baseAddress!
        assert(targets.allSatisfy { $0 >= 0 && Int($0) < V }, "a target id is outside the vocabulary of \(V)")
        SoftmaxCrossEntropy.backward(probabilities: logits, targets: targets.baseAddress!, rows: rows, classes: V)

        // Decoder: dW = dlogitsᵀ · x, db = Σ dlogits (`decoderGradients`), dx = dlogits · W.
        if !deferringWeightGradients { decoderGradients(share: .whole) }
        Scalar.gemm(transA: false, transB: false, m: rows, n: W, k: V, alpha: 1, a: logits, lda: V,
                    b: model.parameters.baseAddress! + model.layout.decoderWeight.offset, ldb: W, beta: 0,
                    c: dOutputs[L - 1], ldc: W)

        for k in stride(from: L - 1, through: 0, by: -1) {
            if maskedLastForward {
                multiply(dOutputs[k], by: masks[k], into: dOutputs[k], count: rows * W)
            }
            let dx = k > 0 ? dOutputs[k - 1] : dEmbedded
            stages[k].backward(dOutput: dOutputs[k], input: layerInput(k), dx: dx, fault: fault,
                               deferringWeightGradients: deferringWeightGradients)
        }
        for i in 0..<layers.count {
            layers[i].storeIncomingStateGradient(dh: dStateH.baseAddress! + i * stateCount,
                                                 dc: dStateC.baseAddress! + i * stateCount, count: stateCount)
        }
        if !deferringWeightGradients { embeddingGradient(share: .whole) }
    }

    /// After `backward(deferringWeightGradients: true)`: adds `share`'s rows of every weight gradient
    /// of the window to `gradients`. The shares of one window may run at once on different threads,
    /// also beside other networks' shares of the same index into the same buffer.
    func accumulateWeightGradients(share: GradientShare) {
        decoderGradients(share: share)
        for k in 0..<stages.count {
            stages[k].accumulateWeightGradients(input: layerInput(k), share: share)
        }
        embeddingGradient(share: share)
    }

    /// The decoder's dW = dlogitsᵀ · x and db = Σ dlogits, `share`'s rows (symbols) of them.
    private func decoderGradients(share: GradientShare) {
        let (rows, V, W) = (batchSize * steps, model.config.vocabularySize, model.config.outputSize)
        let symbols = share.range(of: V), first = symbols.lowerBound
        guard !symbols.isEmpty else { return }
        let gradients = self.gradients.baseAddress!, logits = self.logits.baseAddress!
        Scalar.gemm(transA: true, transB: false, m: symbols.count, n: W, k: rows, alpha: 1, a: logits + first, lda: V,
                    b: layerOutput(model.config.layerCount - 1), ldb: W, beta: 1,
                    c: gradients + model.layout.decoderWeight.offset + first * W, ldc: W)
        addColumnSums(logits + first, rows: rows, columns: symbols.count, stride: V,
                      into: gradients + model.layout.decoderBias.offset + first)
    }

    /// Gathered embedding rows: scatter-adds the input gradient into the rows of `share`'s symbols
    /// (token input accumulates the embedding's gradient in layer 0 instead).
    private func embeddingGradient(share: GradientShare) {
        guard let dEmbedded else { return }
        let E = model.config.embeddingSize, symbols = share.range(of: model.config.vocabularySize)
        let dTable = gradients.baseAddress! + model.layout.embedding.offset
        for r in 0..<(batchSize * steps) {
            let symbol = Int(inputs[r])
            guard symbols.contains(symbol) else { continue }
            let source = dEmbedded + r * E, target = dTable + symbol * E
            for j in 0..<E { target[j] += source[j] }
        }
    }

    /// The input of layer `k` in the last forward pass.
    private func layerInput(_ k: Int) -> LayerInput<Scalar> {
        if k > 0 { return .rows(layerOutput(k - 1)) }
        if let embedded { return .rows(UnsafePointer(embedded)) }
        let embedding = model.layout.embedding.offset
        return .tokens(TokenInput(ids: UnsafePointer(inputs.baseAddress!),
                                  embedding: model.parameters.baseAddress! + embedding,
                                  dEmbedding: withGradients ? gradients.baseAddress! + embedding : nil,
                                  vocabulary: model.config.vocabularySize, reversed: false))
    }

    /// Layer `k`'s output in the last forward pass, after dropout when it was on (the input of
    /// layer k + 1, or of the decoder).
    private func layerOutput(_ k: Int) -> UnsafePointer<Scalar> {
        UnsafePointer(maskedLastForward ? dropped[k] : stages[k].output)
    }

    /// Inverted dropout: each entry of layer `k`'s (T, B, width) output is 1/keep with probability
    /// `keep`, else 0, drawn by hashing its global coordinates (with t = 0 at every step when locked).
    private func drawMask(_ mask: UnsafeMutablePointer<Scalar>, layer k: Int, width: Int, keep: Double) {
        let scale = Scalar(1 / keep)
        let (B, T, L) = (batchSize, steps, UInt64(model.config.layerCount))
        let streams = UInt64(totalStreams), w = UInt64(width)
        let threshold = UInt64(keep * 0x1p53)
        for t in 0..<T {
            let base = ((dropoutCounter &* L &+ UInt64(k)) &* UInt64(T) &+ UInt64(lockedDropout ? 0 : t)) &* streams
            for b in 0..<B {
                let row = mask + (t * B + b) * width
                let start = (base &+ UInt64(streamOffset + b)) &* w
                for j in 0..<width {
                    var generator = SplitMix64(seed: dropoutSeed ^ ((start &+ UInt64(j)) &* 0x9E37_79B9_7F4A_7C15))
                    row[j] = generator.next() >> 11 < threshold ? scale : 0
                }
            }
        }
    }

    /// Layer `k`'s dropout mask of the last training forward pass (nil without dropout).
    func dropoutMask(ofLayer k: Int) -> UnsafePointer<Scalar>? {
        maskedLastForward ? UnsafePointer(masks[k]) : nil
    }

    private func multiply(_ a: UnsafePointer<Scalar>, by b: UnsafePointer<Scalar>,
                          into c: UnsafeMutablePointer<Scalar>, count: Int) {
        for i in 0..<count { c[i] = a[i] * b[i] }
    }
}

extension UnrolledNetwork: SplitStep {
    /// One part of a split step (`StepPartner`): every layer for units ..< `splitPoint` (part 0, the
    /// caller's thread) or from it on (part 1), the parts meeting before each layer above the first.
    /// Only Float networks split (the packed kernels are Float's); the partner calls this through the
    /// protocol, where the generic code would run unspecialised (value witnesses for every copy, 17%
    /// of a split step's time at 32 rows), so it goes on in code made for Float.
    func runPart(_ part: Int) {
        precondition(Scalar.self == Float.self, "only Float networks split their steps")
        unsafeDowncast(self, to: UnrolledNetwork<Float>.self).runFloatPart(part)
    }
}

extension UnrolledNetwork where Scalar == Float {
    fileprivate func runFloatPart(_ part: Int) {
        let partner = stepPartner.unsafelyUnwrapped
        let units = part == 0 ? 0..<splitPoint : splitPoint..<model.config.hiddenSize
        for k in 0..<stages.count {
            if k > 0 { partner.meet(part: part) }
            stages[k].forwardLayer.forwardStep(input: layerInput(k), units: units) { partner.meet(part: part) }
        }
    }
}
