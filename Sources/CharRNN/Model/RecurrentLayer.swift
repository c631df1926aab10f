/// A recurrent layer of either cell, as the model's forward and backward passes drive it.
enum RecurrentLayer<Scalar: BLASScalar> {
    case lstm(LSTMLayer<Scalar>)
    case gru(GRULayer<Scalar>)

    init(model: CharRNNModel<Scalar>, layer k: Int, direction: Int, batch B: Int, steps T: Int,
         gradients gradientBuffer: UnsafeMutableBufferPointer<Scalar>, sharedScratch: UnsafeMutablePointer<Scalar>?,
         panels: PanelPlacement<Scalar>?, tokenVocabulary: Int?, arena: Arena<Scalar>) {
        let config = model.config
        let (D, H) = (config.inputSize(ofLayer: k), config.hiddenSize)
        let weights = RecurrentTensors(model.parameters, layout: model.layout, layer: k, direction: direction)
        let gradients = RecurrentTensors(gradientBuffer, layout: model.layout, layer: k, direction: direction)
        switch config.cell {
        case .lstm:
            self = .lstm(LSTMLayer(D: D, H: H, B: B, T: T, weights: weights, gradients: gradients, panels: panels,
                                  tokenVocabulary: tokenVocabulary, arena: arena))
        case .gru:
            self = .gru(GRULayer(D: D, H: H, B: B, T: T, variant: config.gruVariant, weights: weights,
                                 gradients: gradients, sharedScratch: sharedScratch, panels: panels,
                                 tokenVocabulary: tokenVocabulary, arena: arena))
        }
    }

    /// B·H: one (B, H) block of carried state.
    private var stateCount: Int {
        switch self {
        case .lstm(let layer): return layer.B * layer.H
        case .gru(let layer): return layer.B * layer.H
        }
    }

    /// Outputs h_1 … h_T, (T, B, H).
    var output: UnsafeMutablePointer<Scalar> {
        switch self {
        case .lstm(let layer): return layer.output
        case .gru(let layer): return layer.output
        }
    }

    func forward(input: LayerInput<Scalar>) {
        switch self {
        case .lstm(let layer): layer.forward(input: input)
        case .gru(let layer): layer.forward(input: input)
        }
    }

    func backward(dOutput: UnsafePointer<Scalar>, input: LayerInput<Scalar>,
                  dx: UnsafeMutablePointer<Scalar>?, fault: GradientFault) {
        switch self {
        case .lstm(let layer): layer.backward(dOutput: dOutput, input: input, dx: dx, fault: fault)
        case .gru(let layer): layer.backward(dOutput: dOutput, input: input, dx: dx, fault: fault)
        }
    }

    /// Copies the incoming state (B, H) into slot 0; `c` is ignored by the GRU.
    func loadState(h: UnsafePointer<Scalar>, c: UnsafePointer<Scalar>, count: Int) {
        assert(count == stateCount, "state of \(count) values for a (B, H) block of \(stateCount)")
        switch self {
        case .lstm(let layer):
            layer.h.update(from: h, count: count)
            layer.c.update(from: c, count: count)
        case .gru(let layer):
            layer.h.update(from: h, count: count)
        }
    }

    /// Copies the state after the last step (slot T) out, to carry it into the next window.
    func storeFinalState(h: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>, count: Int) {
        assert(count == stateCount, "state of \(count) values for a (B, H) block of \(stateCount)")
        switch self {
        case .lstm(let layer):
            h.update(from: layer.h + layer.T * count, count: count)
            c.update(from: layer.c + layer.T * count, count: count)
        case .gru(let layer):
            h.update(from: layer.h + layer.T * count, count: count)
        }
    }

    /// ∂loss/∂h_0 and ∂loss/∂c_0 after `backward` (zero for the GRU's c).
    func storeIncomingStateGradient(dh: UnsafeMutablePointer<Scalar>, dc: UnsafeMutablePointer<Scalar>, count: Int) {
        assert(count == stateCount, "state of \(count) values for a (B, H) block of \(stateCount)")
        switch self {
        case .lstm(let layer):
            dh.update(from: layer.dhCarry, count: count)
            dc.update(from: layer.dcCarry, count: count)
        case .gru(let layer):
            dh.update(from: layer.dhCarry, count: count)
            dc.update(repeating: 0, count: count)
        }
    }
}
