/// One GRU layer over a window of `T` steps for `B` streams (input width `D`, hidden width `H`).
/// Gate order (r, z, n) and tensor names as in PyTorch's `nn.GRU`:
///
///     r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
///     z = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
///     n = tanh(W_in x_t + b_in + W_hn (r ⊙ h_{t−1}) + b_hn)     reset-before (classic, the default)
///     n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn))     reset-after (cuDNN, PyTorch, Keras)
///     h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
///
/// In the Γ notation of the LSTM and GRU equations charnn started from, Γu = 1 − z, Γr = r and c̃ = n, so c⁽ᵗ⁾ = Γu⋆c̃ + (1−Γu)⋆c⁽ᵗ⁻¹⁾ and
/// a⁽ᵗ⁾ = c⁽ᵗ⁾ = h_t.
///
/// Parameters: `weight_ih` (3H, D), `weight_hh` (3H, H), `bias_ih`, `bias_hh` (3H).
/// Cached for backward: `gates` (T, B, 3H) after activation; `h` (T+1, B, H) with slot 0 the
/// incoming state; `recurrentN` (T, B, H): W_hn h_{t−1} + b_hn (reset-after) or r ⊙ h_{t−1}
/// (reset-before). Gradients: `dInput` (T, B, 3H) for the input pre-activations overwrites `gates`
/// step by step (each (b, j) reads its gates before writing); `dRecurrent` (T, B, 3H) for the
/// recurrent ones (reset-after only: there they differ in the n block) lives in scratch shared by all
/// layers. The layer's own: `scratch` (B, 3H), `dhCarry` (B, H); on the packed path
/// (`PackedRecurrentKernels`) `panels` places 3H·H values, in memory idle at the time, for weight_hh's
/// blocks packed at the start of each forward pass and their transposes at the start of each backward.
///
/// Backward identities: σ′ = σ(1−σ), tanh′ = 1 − tanh²; with dh the gradient at h_t,
///
///     dn = dh ⊙ (1−z) · (1−n²)    dz = dh ⊙ (h_{t−1} − n) · z(1−z)
///     reset-after:  dr = dn ⊙ (W_hn h_{t−1} + b_hn) · r(1−r)
///                   dh_{t−1} = dh ⊙ z + [dr, dz, dn ⊙ r] · W_hh
///     reset-before: d(r⊙h) = dn · W_hn;  dr = d(r⊙h) ⊙ h_{t−1} · r(1−r)
///                   dh_{t−1} = dh ⊙ z + [dr, dz] · W_h{r,z} + d(r⊙h) ⊙ r
struct GRULayer<Scalar: BLASScalar>: RecurrentLayer {
    let D: Int, H: Int, B: Int, T: Int
    let variant: GRUVariant
    let weights: RecurrentTensors<Scalar>
    let gradients: RecurrentTensors<Scalar>

    let gates: UnsafeMutablePointer<Scalar>
    let h: UnsafeMutablePointer<Scalar>
    let recurrentN: UnsafeMutablePointer<Scalar>
    let dRecurrent: UnsafeMutablePointer<Scalar>!

    /// The input pre-activation gradients, (T, B, 3H), valid after `backward`: they replace `gates`.
    var dInput: UnsafeMutablePointer<Scalar> { gates }
    let scratch: UnsafeMutablePointer<Scalar>
    let dhCarry: UnsafeMutablePointer<Scalar>
    let panels: PanelPlacement<Scalar>?
    let projection: InputProjection<Scalar>

    /// `sharedScratch` (T, B, 3H), shared by every layer, is nil in forward-only networks.
    init(_ shape: LayerShape, variant: GRUVariant, weights: RecurrentTensors<Scalar>,
         gradients: RecurrentTensors<Scalar>, sharedScratch: UnsafeMutablePointer<Scalar>?,
         panels: PanelPlacement<Scalar>?, tokens: TokenTable?, arena: Arena<Scalar>) {
        let (D, H, B, T) = (shape.D, shape.H, shape.B, shape.T)
        (self.D, self.H, self.B, self.T) = (D, H, B, T)
        self.variant = variant
        self.weights = weights
        self.gradients = gradients
        gates = arena.slice(T * B * 3 * H).baseAddress!
        h = arena.slice((T + 1) * B * H).baseAddress!
        recurrentN = arena.slice(T * B * H).baseAddress!
        dRecurrent = variant == .resetAfter ? sharedScratch : nil
        scratch = arena.slice(B * 3 * H).baseAddress!
        dhCarry = arena.slice(B * H).baseAddress!
        self.panels = panels
        projection = InputProjection(D: D, G: 3 * H, B: B, T: T, tokens: tokens,
                                     packedWeights: panels?.inputWeights, arena: arena)
    }

    var shape: LayerShape { LayerShape(D: D, H: H, B: B, T: T) }
    /// The GRU carries h only.
    var cellStateBuffer: UnsafeMutablePointer<Scalar>? { nil }
    var dCellStateCarry: UnsafeMutablePointer<Scalar>? { nil }

    /// Scalars of the scratch shared by all layers: reset-after's recurrent pre-activation
    /// gradients, (T·B, 3H); reset-before needs none.
    static func sharedGradientScratch(variant: GRUVariant, rows: Int, hidden H: Int) -> Int {
        switch variant {
        case .resetAfter: rows * 3 * H
        case .resetBefore: 0
        }
    }

    /// Runs the window from the state in slot 0 of `h`; the input is (T, B, D).
    func forward(input: LayerInput<Scalar>) {
        // reset-before adds all of b_hh outside the reset gate, so it folds into the input projection.
        let foldedBias = variant == .resetBefore ? UnsafePointer(weights.biasHH) : nil
        projection.forward(input, weightIH: weights.weightIH, bias: weights.biasIH, plus: foldedBias, into: gates)
        if let panels, !panels.packedOnce { packForwardPanels() }
        for t in 0..<T {
            switch variant {
            case .resetAfter: stepResetAfter(t)
            case .resetBefore: stepResetBefore(t)
            }
        }
    }

    /// Packs weight_hh into the forward panels, when the layer has them.
    func packForwardPanels() {
        if let panels = panels?.forward { Self.forwardPanels(variant).pack(weights.weightHH, hidden: H, into: panels) }
    }

    /// weight_hh's forward panels: r, z, n interleaved (reset-after); reset-before packs W_hn on its
    /// own after W_h[r,z], since it multiplies r ⊙ h_{t−1}, known only once r is.
    static func forwardPanels(_ variant: GRUVariant) -> ForwardPanels {
        switch variant {
        case .resetAfter: ForwardPanels(interleavedBlocks: 3, separateBlocks: 0)
        case .resetBefore: ForwardPanels(interleavedBlocks: 2, separateBlocks: 1)
        }
    }

    /// One fused step on the packed path (`PackedRecurrentKernels.gruResetAfterStep`, `…BeforeStep`):
    /// `recurrent` receives W_hn h_{t−1} + b_hn (reset-after) or r ⊙ h_{t−1} (reset-before).
    /// Reset-before runs two passes, `meet` between them: the candidate's product reads every unit's
    /// r ⊙ h_{t−1}, which the other part of a split step writes too.
    @inline(__always)
    static func packedStep(_ s: PackedStepOperands<Scalar>, _ variant: GRUVariant, meet: () -> Void = {}) {
        switch variant {
        case .resetAfter:
            PackedRecurrentKernels.gruResetAfterStep(gates: s.gates, rows: s.rows, hidden: s.hidden, hPrev: s.hPrev,
                                                     panels: s.panels, biasHH: s.biasHH, recurrentN: s.recurrent,
                                                     hNext: s.hNext, units: s.unitRange)
        case .resetBefore:
            PackedRecurrentKernels.gruResetBeforeGates(gates: s.gates, rows: s.rows, hidden: s.hidden, hPrev: s.hPrev,
                                                       gatePanels: s.panels, resetH: s.recurrent, units: s.unitRange)
            meet()
            PackedRecurrentKernels.gruResetBeforeCandidate(gates: s.gates, rows: s.rows, hidden: s.hidden,
                                                           hPrev: s.hPrev,
                                                           candidatePanels: s.panels + 2 * s.hidden * s.hidden,
                                                           resetH: s.recurrent, hNext: s.hNext, units: s.unitRange)
        }
    }

    /// `forward` of a one-step window with weights packed once, for the units in `units` only
    /// (`CellLayer.forwardStep`).
    func forwardStep(input: LayerInput<Scalar>, units: Range<Int>, meet: () -> Void) {
        let foldedBias = variant == .resetBefore ? UnsafePointer(weights.biasHH) : nil
        projection.forward(input, bias: weights.biasIH, plus: foldedBias, into: gates, hidden: H, units: units)
        Self.packedStep(PackedStepOperands(gates: gates, rows: B, hidden: H, hPrev: h, panels: panels!.forward,
                                           biasHH: weights.biasHH, recurrent: recurrentN, hNext: h + B * H,
                                           units: units), variant, meet: meet)
    }

    @inline(__always)
    private func stepResetAfter(_ t: Int) {
        let G = 3 * H
        let z = gates + t * B * G, hPrev = h + t * B * H, hNext = h + (t + 1) * B * H
        let rn = recurrentN + t * B * H
        if let panels = panels?.forward {
            return Self.packedStep(PackedStepOperands(gates: z, rows: B, hidden: H, hPrev: hPrev, panels: panels,
                                                      biasHH: weights.biasHH, recurrent: rn, hNext: hNext), .resetAfter)
        }
        broadcastRows(weights.biasHH, plus: nil, rows: B, columns: G, into: scratch)
        Scalar.gemm(transA: false, transB: true, m: B, n: G, k: H, alpha: 1, a: hPrev, lda: H,
                    b: weights.weightHH, ldb: H, beta: 1, c: scratch, ldc: G)
        for b in 0..<B {
            let zb = z + b * G, sb = scratch + b * G, row = b * H
            for j in 0..<(2 * H) { zb[j] += sb[j] }
            Scalar.sigmoid(inPlace: zb, count: 2 * H)
            for j in 0..<H {
                let hn = sb[2 * H + j]
                rn[row + j] = hn
                zb[2 * H + j] += zb[j] * hn
            }
            Scalar.tanh(inPlace: zb + 2 * H, count: H)
            for j in 0..<H {
                let u = zb[H + j], n = zb[2 * H + j]
                hNext[row + j] = (1 - u) * n + u * hPrev[row + j]
            }
        }
    }

    @inline(__always)
    private func stepResetBefore(_ t: Int) {
        let G = 3 * H
        let z = gates + t * B * G, hPrev = h + t * B * H, hNext = h + (t + 1) * B * H
        let rh = recurrentN + t * B * H
        if let panels = panels?.forward {
            return Self.packedStep(PackedStepOperands(gates: z, rows: B, hidden: H, hPrev: hPrev, panels: panels,
                                                      recurrent: rh, hNext: hNext), .resetBefore)
        }
        // r and z blocks: h_{t−1} · W_h[r,z]ᵀ, (B, 2H) with row stride 3H.
        Scalar.gemm(transA: false, transB: true, m: B, n: 2 * H, k: H, alpha: 1, a: hPrev, lda: H,
                    b: weights.weightHH, ldb: H, beta: 1, c: z, ldc: G)
        for b in 0..<B {
            let zb = z + b * G, row = b * H
            Scalar.sigmoid(inPlace: zb, count: 2 * H)
            for j in 0..<H { rh[row + j] = zb[j] * hPrev[row + j] }
        }
        // n block: (r ⊙ h_{t−1}) · W_hnᵀ added onto its pre-activation.
        Scalar.gemm(transA: false, transB: true, m: B, n: H, k: H, alpha: 1, a: rh, lda: H,
                    b: weights.weightHH + 2 * H * H, ldb: H, beta: 1, c: z + 2 * H, ldc: G)
        for b in 0..<B {
            let zb = z + b * G, row = b * H
            Scalar.tanh(inPlace: zb + 2 * H, count: H)
            for j in 0..<H {
                let u = zb[H + j], n = zb[2 * H + j]
                hNext[row + j] = (1 - u) * n + u * hPrev[row + j]
            }
        }
    }

    /// Back-propagates `dOutput` (T, B, H), the loss gradient at h_1 … h_T, through the window.
    /// Accumulates the weight gradients, writes the input gradient to `dx` (T, B, D) when given,
    /// and leaves the incoming-state gradient in `dhCarry`.
    func backward(dOutput: UnsafePointer<Scalar>, input: LayerInput<Scalar>,
                  dx: UnsafeMutablePointer<Scalar>?, fault: GradientFault) {
        dhCarry.update(repeating: 0, count: B * H)
        if let panels = panels?.backward {  // transposes, for the products that yield dh's H columns
            switch variant {
            case .resetAfter:  // W_hhᵀ (H, 3H)
                PackedRecurrentKernels.packBackward(weights.weightHH, hidden: H, depth: 3 * H, into: panels)
            case .resetBefore:  // W_hnᵀ (H, H), then W_h[r,z]ᵀ (H, 2H)
                PackedRecurrentKernels.packBackward(weights.weightHH + 2 * H * H, hidden: H, depth: H, into: panels)
                PackedRecurrentKernels.packBackward(weights.weightHH, hidden: H, depth: 2 * H, into: panels + H * H)
            }
        }
        for t in stride(from: T - 1, through: 0, by: -1) {
            switch variant {
            case .resetAfter: backStepResetAfter(t, dOutput: dOutput, fault: fault)
            case .resetBefore: backStepResetBefore(t, dOutput: dOutput, fault: fault)
            }
        }
        accumulateWeightGradients(input: input, dx: dx)
    }

    @inline(__always)
    private func backStepResetAfter(_ t: Int, dOutput: UnsafePointer<Scalar>, fault: GradientFault) {
        let G = 3 * H
        let z = gates + t * B * G, hPrev = h + t * B * H, rn = recurrentN + t * B * H
        let di = dInput + t * B * G, dr = dRecurrent + t * B * G, dOut = dOutput + t * B * H
        if panels != nil {
            PackedRecurrentKernels.gruBackwardStep(resetAfter: true, gates: di, dRecurrent: dr, rows: B, hidden: H,
                                                   hPrev: hPrev, recurrentN: rn, dOutput: dOut, dhCarry: dhCarry)
        } else {
            for b in 0..<B {
                let zb = z + b * G, dib = di + b * G, drb = dr + b * G, row = b * H
                for j in 0..<H {
                    let r = zb[j], u = zb[H + j], n = zb[2 * H + j]
                    let dh = dOut[row + j] + dhCarry[row + j]
                    let dn = dh * (1 - u) * (1 - n * n)
                    let du = dh * (hPrev[row + j] - n) * u * (1 - u)
                    let dReset = dn * rn[row + j] * r * (1 - r)
                    dib[j] = dReset; dib[H + j] = du; dib[2 * H + j] = dn
                    drb[j] = dReset; drb[H + j] = du; drb[2 * H + j] = dn * r
                    dhCarry[row + j] = dh * u
                }
            }
        }
        if fault != .dropRecurrentTerm {
            if let panels = panels?.backward {
                PackedRecurrentKernels.backwardProduct(dr, rows: B, depth: G, lda: G, panels: panels, hidden: H,
                                                       into: dhCarry, ldc: H, accumulate: true)
            } else {
                Scalar.gemm(transA: false, transB: false, m: B, n: H, k: G, alpha: 1, a: dr, lda: G,
                            b: weights.weightHH, ldb: H, beta: 1, c: dhCarry, ldc: H)
            }
        }
    }

    @inline(__always)
    private func backStepResetBefore(_ t: Int, dOutput: UnsafePointer<Scalar>, fault: GradientFault) {
        let G = 3 * H
        let z = gates + t * B * G, hPrev = h + t * B * H
        let di = dInput + t * B * G, dOut = dOutput + t * B * H
        if panels != nil {
            PackedRecurrentKernels.gruBackwardStep(resetAfter: false, gates: di, dRecurrent: nil, rows: B, hidden: H,
                                                   hPrev: hPrev, recurrentN: recurrentN + t * B * H, dOutput: dOut,
                                                   dhCarry: dhCarry)
        } else {
            for b in 0..<B {
                let zb = z + b * G, dib = di + b * G, row = b * H
                for j in 0..<H {
                    let u = zb[H + j], n = zb[2 * H + j]
                    let dh = dOut[row + j] + dhCarry[row + j]
                    dib[H + j] = dh * (hPrev[row + j] - n) * u * (1 - u)
                    dib[2 * H + j] = dh * (1 - u) * (1 - n * n)
                    dhCarry[row + j] = dh * u
                }
            }
        }
        // d(r ⊙ h_{t−1}) = dn · W_hn, (B, H), in the scratch rows.
        let dRH = scratch
        if let panels = panels?.backward {
            PackedRecurrentKernels.backwardProduct(di + 2 * H, rows: B, depth: H, lda: G, panels: panels, hidden: H,
                                                   into: dRH, ldc: H, accumulate: false)
        } else {
            Scalar.gemm(transA: false, transB: false, m: B, n: H, k: H, alpha: 1, a: di + 2 * H, lda: G,
                        b: weights.weightHH + 2 * H * H, ldb: H, beta: 0, c: dRH, ldc: H)
        }
        if panels != nil {
            PackedRecurrentKernels.gruResetGradient(gates: di, rows: B, hidden: H, hPrev: hPrev, dResetH: dRH,
                                                    dhCarry: dhCarry, throughReset: fault != .dropRecurrentTerm)
        } else {
            for b in 0..<B {
                let zb = z + b * G, dib = di + b * G, row = b * H
                for j in 0..<H {
                    let r = zb[j]
                    dib[j] = dRH[row + j] * hPrev[row + j] * r * (1 - r)
                    if fault != .dropRecurrentTerm { dhCarry[row + j] += dRH[row + j] * r }
                }
            }
        }
        if fault != .dropRecurrentTerm {
            if let panels = panels?.backward {
                PackedRecurrentKernels.backwardProduct(di, rows: B, depth: 2 * H, lda: G, panels: panels + H * H,
                                                       hidden: H, into: dhCarry, ldc: H, accumulate: true)
            } else {
                Scalar.gemm(transA: false, transB: false, m: B, n: H, k: 2 * H, alpha: 1, a: di, lda: G,
                            b: weights.weightHH, ldb: H, beta: 1, c: dhCarry, ldc: H)
            }
        }
    }

    private func accumulateWeightGradients(input: LayerInput<Scalar>, dx: UnsafeMutablePointer<Scalar>?) {
        let G = 3 * H, rows = T * B
        projection.backward(input, dPreactivations: dInput, weightIH: weights.weightIH,
                            dWeightIH: gradients.weightIH, dx: dx)
        switch variant {
        case .resetAfter:
            addColumnSums(dInput, rows: rows, columns: G, into: gradients.biasIH)
            Scalar.gemm(transA: true, transB: false, m: G, n: H, k: rows, alpha: 1, a: dRecurrent, lda: G,
                        b: h, ldb: H, beta: 1, c: gradients.weightHH, ldc: H)
            addColumnSums(dRecurrent, rows: rows, columns: G, into: gradients.biasHH)
        case .resetBefore:
            // r, z rows see h_{t−1}; the n rows see r ⊙ h_{t−1}. All of b_hh sits outside the gate.
            Scalar.gemm(transA: true, transB: false, m: 2 * H, n: H, k: rows, alpha: 1, a: dInput, lda: G,
                        b: h, ldb: H, beta: 1, c: gradients.weightHH, ldc: H)
            Scalar.gemm(transA: true, transB: false, m: H, n: H, k: rows, alpha: 1, a: dInput + 2 * H, lda: G,
                        b: recurrentN, ldb: H, beta: 1, c: gradients.weightHH + 2 * H * H, ldc: H)
            addColumnSums(dInput, rows: rows, columns: G, stride: G, into: gradients.biasIH, and: gradients.biasHH)
        }
    }

    /// One character through one layer for each of `rows` streams with half-precision matrices, as
    /// `forward` computes it: r, z = σ(gi + gh); n = tanh(gi_n + r ⊙ gh_n) (reset-after) or
    /// tanh(gi_n + W_hn (r ⊙ h) + b_hn) (reset-before); h ← (1 − z) ⊙ n + z ⊙ h, with gi = W_ih x + b_ih
    /// and gh = W_hh h + b_hh. Stream b's input is at `x + b·inputStride`.
    static func stepHalfPrecision(_ layer: HalfPrecisionLayer, variant: GRUVariant, rows: Int,
                                  input x: UnsafePointer<Float>, inputStride: Int) {
        let H = layer.hidden, G = 3 * H
        let (gates, recurrent) = (layer.inputGates, layer.recurrentGates)
        layer.fill(gates, rows: rows, stride: G, with: layer.biasIH, count: G)
        layer.fill(recurrent, rows: rows, stride: G, with: layer.biasHH, count: G)
        layer.multiply(layer.weightIH, outputs: G, depth: layer.inputWidth, input: x, inputStride: inputStride,
                       rows: rows, into: gates, outputStride: G)
        switch variant {
        case .resetAfter:
            layer.multiply(layer.weightHH, outputs: G, depth: H, input: layer.h, inputStride: H, rows: rows,
                           into: recurrent, outputStride: G)
            for b in 0..<rows {
                let (gates, recurrent) = (gates + b * G, recurrent + b * G)
                for j in 0..<(2 * H) { gates[j] += recurrent[j] }
                Float.sigmoid(inPlace: gates, count: 2 * H)
                for j in 0..<H { gates[2 * H + j] += gates[j] * recurrent[2 * H + j] }
            }
        case .resetBefore:
            layer.multiply(layer.weightHH, outputs: 2 * H, depth: H, input: layer.h, inputStride: H, rows: rows,
                           into: recurrent, outputStride: G)
            for b in 0..<rows {
                let (gates, recurrent, h, resetHidden) = (gates + b * G, recurrent + b * G, layer.h + b * H,
                                                          layer.scratch + b * H)
                for j in 0..<(2 * H) { gates[j] += recurrent[j] }
                Float.sigmoid(inPlace: gates, count: 2 * H)
                for j in 0..<H { resetHidden[j] = gates[j] * h[j] }
            }
            layer.multiply(layer.candidateWeightHH!, outputs: H, depth: H, input: layer.scratch, inputStride: H,
                           rows: rows, into: recurrent + 2 * H, outputStride: G)
            for b in 0..<rows {
                let (gates, recurrent) = (gates + b * G, recurrent + b * G)
                for j in 0..<H { gates[2 * H + j] += recurrent[2 * H + j] }
            }
        }
        for b in 0..<rows {
            let (gates, h) = (gates + b * G, layer.h + b * H)
            Float.tanh(inPlace: gates + 2 * H, count: H)
            for j in 0..<H {
                let z = gates[H + j], n = gates[2 * H + j]
                h[j] = (1 - z) * n + z * h[j]
            }
        }
    }
}
