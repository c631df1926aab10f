/// Everything a forward and backward pass over one window of `T` steps for `B` streams needs,
/// allocated once (one arena of scalars, one of ids) and reused for every window of that shape:
/// the per-step loops never allocate. It also holds the recurrent state carried from window to
/// window (truncated BPTT: the state carries over, the gradient stops at the window's start).
///
/// Buffers, all row-major: `inputs`, `targets` (T, B) ids; `embedded` (T, B, E); per layer k the
/// layer's caches, `dropped[k]` and `masks[k]` (T, B, H) when dropout is on, `dOutputs[k]` (T, B, H);
/// `logits` (T·B, V), holding probabilities after `forward` and ∂loss/∂logits after `backward`;
/// `stateH`, `stateC` (L, B, H) and their gradients `dStateH`, `dStateC`.
public final class Workspace<Scalar: BLASScalar> {
    public let model: CharRNNModel<Scalar>
    public let batchSize: Int
    public let steps: Int

    /// Input ids of the window, (T, B): position (t, b) is `inputs[t * B + b]`.
    public let inputs: UnsafeMutableBufferPointer<Int32>
    /// Target ids of the window, (T, B).
    public let targets: UnsafeMutableBufferPointer<Int32>
    /// The carried hidden state (L, B, H) and, for the LSTM, the cell state.
    public let stateH: UnsafeMutableBufferPointer<Scalar>
    public let stateC: UnsafeMutableBufferPointer<Scalar>
    /// ∂loss/∂(incoming state) after `backward`, (L, B, H).
    public let dStateH: UnsafeMutableBufferPointer<Scalar>
    public let dStateC: UnsafeMutableBufferPointer<Scalar>
    /// (T·B, V): raw logits after `computeLogits`, softmax probabilities after `forward`,
    /// ∂loss/∂logits after `backward`.
    public let logits: UnsafeMutableBufferPointer<Scalar>

    private let arena: Arena<Scalar>
    private let ids: UnsafeMutableBufferPointer<Int32>
    private let embedded: UnsafeMutablePointer<Scalar>
    private let dEmbedded: UnsafeMutablePointer<Scalar>
    private let layers: [RecurrentLayer<Scalar>]
    private let dropped: [UnsafeMutablePointer<Scalar>]
    private let masks: [UnsafeMutablePointer<Scalar>]
    private let dOutputs: [UnsafeMutablePointer<Scalar>]
    private var maskedLastForward = false

    /// Draws the dropout masks of training passes; a checkpoint stores its state.
    public var dropoutGenerator = SplitMix64(seed: 0)

    /// Breaks the backward pass on purpose; only the tests that prove the gradient check fails set it.
    var fault = GradientFault.none

    public init(model: CharRNNModel<Scalar>, batchSize B: Int, steps T: Int) {
        precondition(B > 0 && T > 0, "window must be non-empty: batch \(B), steps \(T)")
        self.model = model
        batchSize = B
        steps = T
        let config = model.config
        let (L, H, E, V) = (config.layerCount, config.hiddenSize, config.embeddingSize, config.vocabularySize)
        let rows = T * B
        let dropoutBuffers = config.dropout > 0 ? 2 * rows * H : 0
        var count = 2 * rows * E + rows * V + 4 * L * B * H
        for k in 0..<L {
            count += RecurrentLayer<Scalar>.cacheCount(config: config, layer: k, batch: B, steps: T)
            count += rows * H + dropoutBuffers
        }
        arena = Arena(capacity: count)
        ids = .allocate(capacity: 2 * rows)
        ids.initialize(repeating: 0)
        inputs = UnsafeMutableBufferPointer(rebasing: ids[0..<rows])
        targets = UnsafeMutableBufferPointer(rebasing: ids[rows..<(2 * rows)])

        embedded = arena.slice(rows * E).baseAddress!
        dEmbedded = arena.slice(rows * E).baseAddress!
        logits = arena.slice(rows * V)
        stateH = arena.slice(L * B * H)
        stateC = arena.slice(L * B * H)
        dStateH = arena.slice(L * B * H)
        dStateC = arena.slice(L * B * H)
        var layers: [RecurrentLayer<Scalar>] = []
        var dropped: [UnsafeMutablePointer<Scalar>] = []
        var masks: [UnsafeMutablePointer<Scalar>] = []
        var dOutputs: [UnsafeMutablePointer<Scalar>] = []
        for k in 0..<L {
            layers.append(RecurrentLayer(model: model, layer: k, batch: B, steps: T, arena: arena))
            dOutputs.append(arena.slice(rows * H).baseAddress!)
            if config.dropout > 0 {
                dropped.append(arena.slice(rows * H).baseAddress!)
                masks.append(arena.slice(rows * H).baseAddress!)
            }
        }
        precondition(arena.usedCount == count, "workspace sizing: \(arena.usedCount) of \(count)")
        self.layers = layers
        self.dropped = dropped
        self.masks = masks
        self.dOutputs = dOutputs
    }

    deinit { ids.deallocate() }

    /// Zeroes the carried state, as at the start of an epoch or of a text.
    public func resetState() {
        stateH.update(repeating: 0)
        stateC.update(repeating: 0)
    }

    /// Runs the window in `inputs` from the carried state, scores it against `targets`, carries the
    /// final state into `stateH`/`stateC`, and returns the mean cross-entropy in nats per position.
    /// In `training` passes dropout masks are drawn from `dropoutGenerator`; otherwise dropout is off.
    @discardableResult
    public func forward(training: Bool = false) -> Double {
        computeLogits(training: training)
        let rows = batchSize * steps
        let total = SoftmaxCrossEntropy.forward(logits: logits.baseAddress!, targets: targets.baseAddress!,
                                                rows: rows, classes: model.config.vocabularySize)
        return total / Double(rows)
    }

    /// Runs the window in `inputs` from the carried state and leaves the decoder's raw logits in
    /// `logits` (T·B, V), without scoring; the final state is carried as by `forward`.
    public func computeLogits(training: Bool = false) {
        let config = model.config
        let (B, T, E, H, V) = (batchSize, steps, config.embeddingSize, config.hiddenSize, config.vocabularySize)
        let rows = T * B, stateCount = B * H
        let parameters = model.parameters.baseAddress!

        // Layer 0's input is a gather from the embedding table.
        let table = parameters + model.layout.embedding.offset
        for r in 0..<rows {
            (embedded + r * E).update(from: table + Int(inputs[r]) * E, count: E)
        }

        maskedLastForward = training && config.dropout > 0
        var x = UnsafePointer(embedded)
        for (k, layer) in layers.enumerated() {
            layer.loadState(h: stateH.baseAddress! + k * stateCount, c: stateC.baseAddress! + k * stateCount,
                            count: stateCount)
            layer.forward(x: x)
            layer.storeFinalState(h: stateH.baseAddress! + k * stateCount, c: stateC.baseAddress! + k * stateCount,
                                  count: stateCount)
            if maskedLastForward {
                drawMask(masks[k], count: rows * H, keep: 1 - config.dropout)
                multiply(layer.output, by: masks[k], into: dropped[k], count: rows * H)
                x = UnsafePointer(dropped[k])
            } else {
                x = UnsafePointer(layer.output)
            }
        }

        // Decoder: logits = x · W_decᵀ + b_dec.
        let logits = self.logits.baseAddress!
        broadcastRows(parameters + model.layout.decoderBias.offset, plus: nil, rows: rows, columns: V, into: logits)
        Scalar.gemm(transA: false, transB: true, m: rows, n: V, k: H, alpha: 1, a: x, lda: H,
                    b: parameters + model.layout.decoderWeight.offset, ldb: H, beta: 1, c: logits, ldc: V)
    }

    /// Adds the gradient of the last `forward`'s mean loss to the model's gradients (which the
    /// caller zeroes once per optimiser step) and leaves ∂loss/∂(incoming state) in `dStateH`/`dStateC`.
    public func backward() {
        let config = model.config
        let (B, T, E, H, V, L) = (batchSize, steps, config.embeddingSize, config.hiddenSize,
                                  config.vocabularySize, config.layerCount)
        let rows = T * B, stateCount = B * H
        let parameters = model.parameters.baseAddress!, gradients = model.gradients.baseAddress!
        let logits = self.logits.baseAddress!
        SoftmaxCrossEntropy.backward(probabilities: logits, targets: targets.baseAddress!, rows: rows, classes: V)

        // Decoder: dW = dlogitsᵀ · x, db = Σ dlogits, dx = dlogits · W.
        let top = layerInput(L)
        Scalar.gemm(transA: true, transB: false, m: V, n: H, k: rows, alpha: 1, a: logits, lda: V,
                    b: top, ldb: H, beta: 1, c: gradients + model.layout.decoderWeight.offset, ldc: H)
        addColumnSums(logits, rows: rows, columns: V, into: gradients + model.layout.decoderBias.offset)
        Scalar.gemm(transA: false, transB: false, m: rows, n: H, k: V, alpha: 1, a: logits, lda: V,
                    b: parameters + model.layout.decoderWeight.offset, ldb: H, beta: 0, c: dOutputs[L - 1], ldc: H)

        for k in stride(from: L - 1, through: 0, by: -1) {
            if maskedLastForward {
                multiply(dOutputs[k], by: masks[k], into: dOutputs[k], count: rows * H)
            }
            let dx = k > 0 ? dOutputs[k - 1] : dEmbedded
            layers[k].backward(dOutput: dOutputs[k], x: layerInput(k), dx: dx, fault: fault)
            layers[k].storeIncomingStateGradient(dh: dStateH.baseAddress! + k * stateCount,
                                                 dc: dStateC.baseAddress! + k * stateCount, count: stateCount)
        }

        // Embedding: scatter-add the input gradient into the rows that were gathered.
        let dTable = gradients + model.layout.embedding.offset
        for r in 0..<rows {
            let source = dEmbedded + r * E, target = dTable + Int(inputs[r]) * E
            for j in 0..<E { target[j] += source[j] }
        }
    }

    /// The input of layer `k` in the last forward pass (k = L: the decoder's input).
    private func layerInput(_ k: Int) -> UnsafePointer<Scalar> {
        if k == 0 { return UnsafePointer(embedded) }
        return UnsafePointer(maskedLastForward ? dropped[k - 1] : layers[k - 1].output)
    }

    /// Inverted dropout: each entry is 1/keep with probability `keep`, else 0.
    private func drawMask(_ mask: UnsafeMutablePointer<Scalar>, count: Int, keep: Double) {
        let scale = Scalar(1 / keep)
        var generator = dropoutGenerator
        for i in 0..<count {
            mask[i] = generator.nextUnit() < keep ? scale : 0
        }
        dropoutGenerator = generator
    }

    private func multiply(_ a: UnsafePointer<Scalar>, by b: UnsafePointer<Scalar>,
                          into c: UnsafeMutablePointer<Scalar>, count: Int) {
        for i in 0..<count { c[i] = a[i] * b[i] }
    }
}
