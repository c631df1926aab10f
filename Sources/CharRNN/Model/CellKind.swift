/// The recurrent cell of every layer, and the one place that says what each cell is.
///
/// A cell is a case here and in `CellLayer`, a layer type (its window forward and backward on every
/// kernel path, and its half-precision step, `stepHalfPrecision`), and its tests. Every question the rest of charnn asks of a
/// cell is a property or method below, answered by an exhaustive `switch` with no `default:`, so a
/// new case does not compile until each question has its answer; no other file compares a cell
/// kind with a constant.
public enum CellKind: String, Sendable, CaseIterable, Codable {
    case lstm
    case gru
    /// The LSTM with layer normalisation (`LayerNormLSTMLayer`).
    case layerNormLSTM = "lstm-ln"

    /// How reports name the cell: "LSTM", "GRU", "LSTM-LN".
    public var displayName: String {
        switch self {
        case .lstm: "LSTM"
        case .gru: "GRU"
        case .layerNormLSTM: "LSTM-LN"
        }
    }

    /// The gate blocks of weight_ih's and weight_hh's rows, in order (`gateCount` of them).
    public var gateNames: [String] {
        switch self {
        case .lstm, .layerNormLSTM: ["i", "f", "g", "o"]
        case .gru: ["r", "z", "n"]
        }
    }

    /// Gate blocks per layer, each H rows of the weights (a switch of its own: steps ask it, and
    /// `gateNames` allocates).
    public var gateCount: Int {
        switch self {
        case .lstm, .layerNormLSTM: 4
        case .gru: 3
        }
    }

    /// Whether the cell carries a cell state c beside h from step to step (and window to window).
    public var carriesCellState: Bool {
        switch self {
        case .lstm, .layerNormLSTM: true
        case .gru: false
        }
    }

    /// Whether the cell's layers can leave their weight gradients for later, to be summed over
    /// replicas in shares (`GradientShare`); the others give each replica a gradient buffer.
    var defersWeightGradients: Bool {
        switch self {
        case .lstm: true
        case .gru, .layerNormLSTM: false
        }
    }

    /// Whether `--gru-variant` applies (and checkpoints record it).
    public var takesGRUVariant: Bool {
        switch self {
        case .gru: true
        case .lstm, .layerNormLSTM: false
        }
    }

    /// The cell's name with its variant where it has one: "GRU (reset-after)", "LSTM".
    public func label(variant: GRUVariant) -> String {
        takesGRUVariant ? "\(displayName) (\(variant.rawValue))" : displayName
    }

    /// The tensors of one layer in one direction, in the parameter buffer's order: PyTorch's four
    /// (`weight_ih` (G·H, D), `weight_hh` (G·H, H), `bias_ih`, `bias_hh` (G·H)), then the cell's own.
    /// Names are written `rnn.<name>_l<k>[_reverse]`.
    func recurrentTensors(input D: Int, hidden H: Int) -> [RecurrentTensorShape] {
        let G = gateCount * H
        let common = [RecurrentTensorShape(name: "weight_ih", shape: [G, D]),
                      RecurrentTensorShape(name: "weight_hh", shape: [G, H]),
                      RecurrentTensorShape(name: "bias_ih", shape: [G]),
                      RecurrentTensorShape(name: "bias_hh", shape: [G])]
        switch self {
        case .lstm, .gru:
            return common
        case .layerNormLSTM:
            return common + LayerNormLSTMLayer<Float>.normalizationTensors(hidden: H)
        }
    }

    /// Scalars of gradient scratch that every layer of a training network uses in turn (`rows` = T·B).
    func sharedGradientScratch(variant: GRUVariant, rows: Int, hidden H: Int) -> Int {
        switch self {
        case .gru: GRULayer<Float>.sharedGradientScratch(variant: variant, rows: rows, hidden: H)
        case .lstm, .layerNormLSTM: 0
        }
    }

    /// The layer of this cell for one direction of stack layer `k`, its buffers sliced from `arena`.
    /// `keepsEveryCellState` false lets an LSTM keep only some cell states, recomputing the rest in
    /// backward (`LSTMLayer.cellState(at:)`): for networks that train.
    func makeLayer<Scalar: BLASScalar>(_ shape: LayerShape, variant: GRUVariant, weights: RecurrentTensors<Scalar>,
                                       gradients: RecurrentTensors<Scalar>,
                                       sharedScratch: UnsafeMutablePointer<Scalar>?,
                                       panels: PanelPlacement<Scalar>?, tokens: TokenTable?,
                                       keepsEveryCellState: Bool, arena: Arena<Scalar>) -> CellLayer<Scalar> {
        switch self {
        case .lstm:
            .lstm(LSTMLayer(shape, weights: weights, gradients: gradients, panels: panels,
                            tokens: tokens, keepsEveryCellState: keepsEveryCellState, arena: arena))
        case .gru:
            .gru(GRULayer(shape, variant: variant, weights: weights, gradients: gradients, sharedScratch: sharedScratch,
                          panels: panels, tokens: tokens, arena: arena))
        case .layerNormLSTM:
            .layerNormLSTM(LayerNormLSTMLayer(shape, weights: weights, gradients: gradients, panels: panels,
                                              tokens: tokens, arena: arena))
        }
    }

    /// How the cell's fused forward step reads weight_hh's panels; nil for a cell without a fused step.
    func forwardPanels(variant: GRUVariant) -> ForwardPanels? {
        switch self {
        case .lstm: LSTMLayer<Float>.forwardPanels
        case .gru: GRULayer<Float>.forwardPanels(variant)
        case .layerNormLSTM: nil
        }
    }

    /// One fused forward step on the packed path, as the cell's layer runs it at every step (what
    /// `charnn bench --mode kernels` times); false for a cell without one.
    func packedStep(_ operands: PackedStepOperands<Float>, variant: GRUVariant) -> Bool {
        switch self {
        case .lstm: LSTMLayer.packedStep(operands)
        case .gru: GRULayer.packedStep(operands, variant)
        case .layerNormLSTM: return false
        }
        return true
    }

    /// One character through one layer for each of `rows` streams with half-precision matrices
    /// (`HalfPrecisionLayer`); stream b's input is at `x + b·inputStride`.
    func stepHalfPrecision(_ layer: HalfPrecisionLayer, variant: GRUVariant, rows: Int, input x: UnsafePointer<Float>,
                           inputStride: Int) {
        switch self {
        case .lstm: LSTMLayer<Float>.stepHalfPrecision(layer, rows: rows, input: x, inputStride: inputStride)
        case .gru: GRULayer<Float>.stepHalfPrecision(layer, variant: variant, rows: rows, input: x, inputStride: inputStride)
        case .layerNormLSTM: LayerNormLSTMLayer<Float>.stepHalfPrecision(layer, rows: rows, input: x, inputStride: inputStride)
        }
    }
}

/// A layer of any cell, as the stack drives it (`RecurrentLayer` says what each call does). One
/// case per cell, so every call is a direct call that the compiler specialises for the scalar type:
/// through an existential (`any RecurrentLayer<Float>`) each call would run the unspecialised
/// generic code, which made the Swift steps an order of magnitude slower.
enum CellLayer<Scalar: BLASScalar> {
    case lstm(LSTMLayer<Scalar>)
    case gru(GRULayer<Scalar>)
    case layerNormLSTM(LayerNormLSTMLayer<Scalar>)

    /// Outputs h_1 … h_T, (T, B, H).
    var output: UnsafeMutablePointer<Scalar> {
        switch self {
        case .lstm(let layer): layer.output
        case .gru(let layer): layer.output
        case .layerNormLSTM(let layer): layer.output
        }
    }

    /// c_1 … c_T, (T, B, H); nil for a cell without a cell state.
    var cellStates: UnsafeMutablePointer<Scalar>? {
        switch self {
        case .lstm(let layer): layer.cellStates
        case .gru(let layer): layer.cellStates
        case .layerNormLSTM(let layer): layer.cellStates
        }
    }

    func forward(input: LayerInput<Scalar>) {
        switch self {
        case .lstm(let layer): layer.forward(input: input)
        case .gru(let layer): layer.forward(input: input)
        case .layerNormLSTM(let layer): layer.forward(input: input)
        }
    }

    /// One step (T = 1) of a fixed-weight network on the packed path for the units in `units` only:
    /// the part one thread computes when a `StepPartner` splits the step (`splitsSteps`). `meet`
    /// waits for the other part, for a cell whose step reads every unit of something it computes.
    func forwardStep(input: LayerInput<Scalar>, units: Range<Int>, meet: () -> Void) {
        switch self {
        case .lstm(let layer): layer.forwardStep(input: input, units: units)
        case .gru(let layer): layer.forwardStep(input: input, units: units, meet: meet)
        case .layerNormLSTM: preconditionFailure("the layer-normalised LSTM's step is not split")
        }
    }

    /// Whether `forwardStep` can split this layer's steps: a one-step window of a fixed-weight
    /// network on the packed path, with a cell whose step has no sum over all units (the
    /// layer-normalised LSTM's statistics have). A first layer's fixed table is built by an
    /// ordinary, unsplit step first (`buildsFixedTable`).
    var splitsSteps: Bool {
        switch self {
        case .lstm(let layer): layer.T == 1 && layer.panels?.packedOnce == true && layer.projection.packsOrTables
        case .gru(let layer): layer.T == 1 && layer.panels?.packedOnce == true && layer.projection.packsOrTables
        case .layerNormLSTM: false
        }
    }

    /// Whether the next forward pass first builds a fixed table of projected embedding rows.
    var buildsFixedTable: Bool {
        switch self {
        case .lstm(let layer): layer.projection.buildsFixedTable
        case .gru(let layer): layer.projection.buildsFixedTable
        case .layerNormLSTM(let layer): layer.projection.buildsFixedTable
        }
    }

    /// `deferringWeightGradients` (a cell that `defersWeightGradients`) leaves the weight gradients
    /// to `accumulateWeightGradients(input:share:)`.
    func backward(dOutput: UnsafePointer<Scalar>, input: LayerInput<Scalar>, dx: UnsafeMutablePointer<Scalar>?,
                  fault: GradientFault, deferringWeightGradients: Bool = false) {
        switch self {
        case .lstm(let layer):
            layer.backward(dOutput: dOutput, input: input, dx: dx, fault: fault,
                           deferringWeightGradients: deferringWeightGradients)
        case .gru(let layer):
            precondition(!deferringWeightGradients, "the GRU does not defer its weight gradients")
            layer.backward(dOutput: dOutput, input: input, dx: dx, fault: fault)
        case .layerNormLSTM(let layer):
            precondition(!deferringWeightGradients, "the layer-normalised LSTM does not defer its weight gradients")
            layer.backward(dOutput: dOutput, input: input, dx: dx, fault: fault)
        }
    }

    /// The weight gradients that a deferring `backward` left, `share`'s rows of them.
    func accumulateWeightGradients(input: LayerInput<Scalar>, share: GradientShare) {
        guard case .lstm(let layer) = self else { preconditionFailure("this cell does not defer its weight gradients") }
        layer.accumulateWeightGradients(input: input, share: share)
    }

    /// Packs weight_hh into the layer's forward panels (`PanelPlacement.packedOnce`).
    func packForwardPanels() {
        switch self {
        case .lstm(let layer): layer.packForwardPanels()
        case .gru(let layer): layer.packForwardPanels()
        case .layerNormLSTM(let layer): layer.packForwardPanels()
        }
    }

    func loadState(h: UnsafePointer<Scalar>, c: UnsafePointer<Scalar>, count: Int) {
        switch self {
        case .lstm(let layer): layer.loadState(h: h, c: c, count: count)
        case .gru(let layer): layer.loadState(h: h, c: c, count: count)
        case .layerNormLSTM(let layer): layer.loadState(h: h, c: c, count: count)
        }
    }

    func storeFinalState(h: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>, count: Int) {
        switch self {
        case .lstm(let layer): layer.storeFinalState(h: h, c: c, count: count)
        case .gru(let layer): layer.storeFinalState(h: h, c: c, count: count)
        case .layerNormLSTM(let layer): layer.storeFinalState(h: h, c: c, count: count)
        }
    }

    func storeIncomingStateGradient(dh: UnsafeMutablePointer<Scalar>, dc: UnsafeMutablePointer<Scalar>, count: Int) {
        switch self {
        case .lstm(let layer): layer.storeIncomingStateGradient(dh: dh, dc: dc, count: count)
        case .gru(let layer): layer.storeIncomingStateGradient(dh: dh, dc: dc, count: count)
        case .layerNormLSTM(let layer): layer.storeIncomingStateGradient(dh: dh, dc: dc, count: count)
        }
    }
}

/// Where the GRU's reset gate acts on the previous state.
public enum GRUVariant: String, Sendable, CaseIterable, Codable {
    /// `n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)`: the classic formulation (Cho et al., 2014).
    case resetBefore = "reset-before"
    /// `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`: cuDNN's, PyTorch `nn.GRU`'s and Keras `reset_after=True`.
    case resetAfter = "reset-after"
}

/// How a forward step reads weight_hh (gates·H, H) from panels: the first `interleavedBlocks` gate
/// blocks interleaved (all gates of the same units in one panel, so one register tile holds them),
/// then each of the next `separateBlocks` on its own (`PackedRecurrentKernels.packForward`).
struct ForwardPanels: Equatable {
    let interleavedBlocks: Int
    let separateBlocks: Int

    @inline(__always)
    func pack<Scalar: BLASScalar>(_ weightHH: UnsafePointer<Scalar>, hidden H: Int,
                                  into panels: UnsafeMutablePointer<Scalar>) {
        PackedRecurrentKernels.packForward(weightHH, interleavedBlocks: interleavedBlocks,
                                           separateBlocks: separateBlocks, hidden: H, into: panels)
    }
}

/// The operands of one fused forward step on the packed path, for `rows` rows of `hidden` units:
/// `gates` (rows, gates·hidden) holds the input projection and receives the activations; `cPrev`,
/// `cNext` the cell state (cells that carry one); `biasHH` what the step adds itself (GRU
/// reset-after); `recurrent` what the step leaves for backward (GRU); `units` a part of the units.
struct PackedStepOperands<Scalar: BLASScalar> {
    var gates: UnsafeMutablePointer<Scalar>
    var rows: Int
    var hidden: Int
    var hPrev: UnsafePointer<Scalar>
    var panels: UnsafePointer<Scalar>
    var cPrev: UnsafePointer<Scalar>! = nil
    var cNext: UnsafeMutablePointer<Scalar>! = nil
    var biasHH: UnsafePointer<Scalar>! = nil
    var recurrent: UnsafeMutablePointer<Scalar>! = nil
    var hNext: UnsafeMutablePointer<Scalar>
    /// The units this call computes (whole panels), when a step is split between threads; nil: all.
    var units: Range<Int>? = nil

    var unitRange: Range<Int> { units ?? 0..<hidden }
}

/// One tensor of a recurrent layer: its name without the layer suffix, its shape, and its value
/// at initialisation.
struct RecurrentTensorShape: Equatable {
    let name: String
    let shape: [Int]
    var initial: TensorInitialisation = .uniform
}

/// The sizes a recurrent layer is built for: input width D, hidden width H, B streams, T steps.
struct LayerShape {
    let D: Int, H: Int, B: Int, T: Int
}
