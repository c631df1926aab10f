/// One layer of the stack: a recurrent layer running forwards in time and, when bidirectional, a
/// second one running backwards, whose outputs are concatenated:
///
///     y_t = [h→_t, h←_t]   with h←_t computed from x_T … x_t (PyTorch's `bidirectional=True`)
///
/// The reverse direction runs the ordinary layer code on a time-reversed copy of the input, so one
/// forward and one backward implementation serve both directions (token input is read backwards in
/// place). Buffers (bidirectional only): `reversedInput`, `dReversedInput` (T, B, D; row input only);
/// `concatenated` (T, B, 2H); `dForward`, `dReverse` (T, B, H).
struct StackLayer<Scalar: BLASScalar> {
    let forwardLayer: CellLayer<Scalar>
    let reverseLayer: CellLayer<Scalar>?
    let D: Int, H: Int, B: Int, T: Int
    let reversedInput: UnsafeMutablePointer<Scalar>?
    let dReversedInput: UnsafeMutablePointer<Scalar>?
    let concatenated: UnsafeMutablePointer<Scalar>?
    let dForward: UnsafeMutablePointer<Scalar>?
    let dReverse: UnsafeMutablePointer<Scalar>?

    /// A forward-only layer (`withGradients` false) holds no gradient buffers. `reversePanels`: the
    /// reverse direction's, which runs its backward after the forward direction has written `dx`.
    /// `tokenInput`: the layer reads token ids (`LayerInput.tokens`), not rows; `fixedWeights`: its
    /// table of projected embedding rows is built once.
    init(model: CharRNNModel<Scalar>, layer k: Int, batch B: Int, steps T: Int,
         gradients: UnsafeMutableBufferPointer<Scalar>, withGradients: Bool,
         sharedScratch: UnsafeMutablePointer<Scalar>?, panels: PanelPlacement<Scalar>?,
         reversePanels: PanelPlacement<Scalar>?, tokenInput: Bool, fixedWeights: Bool = false,
         keepsEveryCellState: Bool = true, arena: Arena<Scalar>) {
        let config = model.config
        (D, H, self.B, self.T) = (config.inputSize(ofLayer: k), config.hiddenSize, B, T)
        let tokens = tokenInput ? TokenTable(vocabulary: config.vocabularySize, fixed: fixedWeights) : nil
        func direction(_ direction: Int, panels: PanelPlacement<Scalar>?) -> CellLayer<Scalar> {
            config.cell.makeLayer(LayerShape(D: config.inputSize(ofLayer: k), H: config.hiddenSize, B: B, T: T),
                                  variant: config.gruVariant,
                                  weights: RecurrentTensors(model.parameters, layout: model.layout, layer: k,
                                                            direction: direction),
                                  gradients: RecurrentTensors(gradients, layout: model.layout, layer: k,
                                                              direction: direction),
                                  sharedScratch: sharedScratch, panels: panels, tokens: tokens,
                                  keepsEveryCellState: keepsEveryCellState, arena: arena)
        }
        forwardLayer = direction(0, panels: panels)
        if config.bidirectional {
            reverseLayer = direction(1, panels: reversePanels)
            reversedInput = tokenInput ? nil : arena.slice(T * B * D).baseAddress!
            concatenated = arena.slice(T * B * 2 * H).baseAddress!
            dReversedInput = withGradients && !tokenInput ? arena.slice(T * B * D).baseAddress! : nil
            dForward = withGradients ? arena.slice(T * B * H).baseAddress! : nil
            dReverse = withGradients ? arena.slice(T * B * H).baseAddress! : nil
        } else {
            (reverseLayer, reversedInput, dReversedInput, concatenated, dForward, dReverse) = (nil, nil, nil, nil, nil, nil)
        }
    }

    /// The layer's output, (T, B, H) or (T, B, 2H).
    var output: UnsafeMutablePointer<Scalar> { concatenated ?? forwardLayer.output }

    /// The recurrent layers, forward direction first.
    var directions: [CellLayer<Scalar>] { reverseLayer.map { [forwardLayer, $0] } ?? [forwardLayer] }

    func forward(input: LayerInput<Scalar>) {
        forwardLayer.forward(input: input)
        guard let reverseLayer, let concatenated else { return }
        switch input {
        case .rows(let x):
            reverseTime(x, width: D, into: reversedInput!)
            reverseLayer.forward(input: .rows(reversedInput!))
        case .tokens(let tokens):
            reverseLayer.forward(input: .tokens(tokens.reversedInTime()))
        }
        let forwardOutput = forwardLayer.output, reverseOutput = reverseLayer.output
        for t in 0..<T {
            for b in 0..<B {
                let row = concatenated + (t * B + b) * 2 * H
                row.update(from: forwardOutput + (t * B + b) * H, count: H)
                (row + H).update(from: reverseOutput + ((T - 1 - t) * B + b) * H, count: H)
            }
        }
    }

    /// Back-propagates `dOutput` (the gradient at `output`); writes the input gradient to `dx` for
    /// row input (token input accumulates the embedding's gradient instead). `deferringWeightGradients`
    /// (cells that `defersWeightGradients`) leaves the weight gradients, and the embedding's, to
    /// `accumulateWeightGradients(input:share:)`.
    func backward(dOutput: UnsafePointer<Scalar>, input: LayerInput<Scalar>, dx: UnsafeMutablePointer<Scalar>?,
                  fault: GradientFault, deferringWeightGradients: Bool = false) {
        assert(dx.map { UnsafePointer($0) != dOutput } ?? true, "dx must not alias the gradient it reads")
        func throughLayer(_ layer: CellLayer<Scalar>, _ dOutput: UnsafePointer<Scalar>, _ input: LayerInput<Scalar>,
                          _ dx: UnsafeMutablePointer<Scalar>?) {
            layer.backward(dOutput: dOutput, input: input, dx: dx, fault: fault, deferringWeightGradients: deferringWeightGradients)
        }
        guard let reverseLayer, let dForward, let dReverse else {
            throughLayer(forwardLayer, dOutput, input, dx)
            return
        }
        for t in 0..<T {
            for b in 0..<B {
                let row = dOutput + (t * B + b) * 2 * H
                (dForward + (t * B + b) * H).update(from: row, count: H)
                (dReverse + ((T - 1 - t) * B + b) * H).update(from: row + H, count: H)
            }
        }
        throughLayer(forwardLayer, dForward, input, dx)
        if case .tokens(let tokens) = input {
            throughLayer(reverseLayer, dReverse, .tokens(tokens.reversedInTime()), nil)
            return
        }
        throughLayer(reverseLayer, dReverse, .rows(reversedInput!), dReversedInput)
        guard let dx, let dReversedInput else { return }
        for t in 0..<T {
            let target = dx + t * B * D, source = dReversedInput + (T - 1 - t) * B * D
            for i in 0..<(B * D) { target[i] += source[i] }
        }
    }

    /// `share`'s rows of the weight gradients a deferred `backward` left, each direction with the
    /// input it read.
    func accumulateWeightGradients(input: LayerInput<Scalar>, share: GradientShare) {
        forwardLayer.accumulateWeightGradients(input: input, share: share)
        guard let reverseLayer else { return }
        switch input {
        case .tokens(let tokens): reverseLayer.accumulateWeightGradients(input: .tokens(tokens.reversedInTime()), share: share)
        case .rows: reverseLayer.accumulateWeightGradients(input: .rows(reversedInput!), share: share)
        }
    }

    /// Copies (T, B, width) with the time axis reversed.
    private func reverseTime(_ x: UnsafePointer<Scalar>, width: Int, into reversed: UnsafeMutablePointer<Scalar>) {
        let block = B * width
        for t in 0..<T {
            (reversed + (T - 1 - t) * block).update(from: x + t * block, count: block)
        }
    }
}
