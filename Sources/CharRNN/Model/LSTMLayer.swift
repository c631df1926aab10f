/// One LSTM layer over a window of `T` steps for `B` streams (input width `D`, hidden width `H`).
/// Gate order (i, f, g, o) and tensor names as in PyTorch's `nn.LSTM`:
///
///     i = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)      f = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)
///     g = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)   o = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)
///     c_t = f ⊙ c_{t−1} + i ⊙ g                          h_t = o ⊙ tanh(c_t)
///
/// In the Γ notation of the LSTM and GRU equations charnn started from, Γf = f, Γi = i, Γo = o and c̃ = g, so c⁽ᵗ⁾ = Γi⋆c̃ + Γf⋆c⁽ᵗ⁻¹⁾; the
/// notes' a⁽ᵗ⁾ = Γo⋆c⁽ᵗ⁾ is the textbook shorthand for h_t = o ⊙ tanh(c_t), which is what runs here.
///
/// Parameters: `weight_ih` (4H, D), `weight_hh` (4H, H), `bias_ih`, `bias_hh` (4H).
/// Cached for backward: `gates` (T, B, 4H) after activation; `h` (T+1, B, H) with slot 0 the
/// incoming state; the cell states c_0 … c_T (`cellState(at:)`). A network that trains keeps c_t
/// only every K ≈ √T steps and at T (`c`), plus one segment's K − 1 in `segmentCells`: backward
/// recomputes a segment's c_t = f ⊙ c_{t−1} + i ⊙ g from the gates it still holds, bit for bit as the
/// forward step did, before stepping through it (at L, 3×512 with 32 streams × 100 steps per replica,
/// 20 slots of (B, H) instead of 101 per layer: 31 MB less in all). Backward overwrites `gates`
/// with the pre-activation gradients dG step by step (each (b, j) reads its four gates before
/// writing its four gradients) and recomputes tanh(c_t) into `tanhScratch` (B, H) rather than
/// keeping it for every step; `dhCarry`, `dcCarry` (B, H).
/// On the packed path (`PackedRecurrentKernels`) `panels` places 4H·H values, in memory idle at the
/// time, for weight_hh packed at the start of each forward pass and weight_hhᵀ of each backward.
///
/// Backward identities: σ′ = σ(1−σ), tanh′ = 1 − tanh²;
///
///     dc_t = dc_{t+1}·f_{t+1} + dh_t ⊙ o ⊙ (1 − tanh²c_t)
///     di = dc ⊙ g · i(1−i)   df = dc ⊙ c_{t−1} · f(1−f)   dg = dc ⊙ i · (1−g²)   do = dh ⊙ tanh c_t · o(1−o)
///     dh_{t−1} += dG_t · W_hh;  dW_ih = dGᵀ X;  dW_hh = dGᵀ H_{prev};  db_ih = db_hh = Σ dG
///     (dW_ih and the input's gradient: `InputProjection`)
struct LSTMLayer<Scalar: BLASScalar>: RecurrentLayer {
    let D: Int, H: Int, B: Int, T: Int
    let weights: RecurrentTensors<Scalar>
    let gradients: RecurrentTensors<Scalar>

    let gates, c, h, tanhScratch, dhCarry, dcCarry: UnsafeMutablePointer<Scalar>
    /// Steps between kept cell states; 0: every c_t is kept (forward-only networks, short windows).
    let checkpointInterval: Int
    /// c_t of the segment being stepped through, for the t between two kept ones.
    let segmentCells: UnsafeMutablePointer<Scalar>?
    let panels: PanelPlacement<Scalar>?
    let projection: InputProjection<Scalar>

    /// The pre-activation gradients, (T, B, 4H), valid after `backward`: they replace `gates`.
    var dGates: UnsafeMutablePointer<Scalar> { gates }

    init(_ shape: LayerShape, weights: RecurrentTensors<Scalar>, gradients: RecurrentTensors<Scalar>,
         panels: PanelPlacement<Scalar>?, tokens: TokenTable?, keepsEveryCellState: Bool = true,
         arena: Arena<Scalar>) {
        let (D, H, B, T) = (shape.D, shape.H, shape.B, shape.T)
        (self.D, self.H, self.B, self.T) = (D, H, B, T)
        self.weights = weights
        self.gradients = gradients
        gates = arena.slice(T * B * 4 * H).baseAddress!
        let K = keepsEveryCellState ? 0 : Self.checkpointInterval(steps: T)
        checkpointInterval = K
        if K > 0 {
            c = arena.slice(((T + K - 1) / K + 1) * B * H).baseAddress!
            segmentCells = arena.slice((K - 1) * B * H).baseAddress!
        } else {
            c = arena.slice((T + 1) * B * H).baseAddress!
            segmentCells = nil
        }
        h = arena.slice((T + 1) * B * H).baseAddress!
        tanhScratch = arena.slice(B * H).baseAddress!
        dhCarry = arena.slice(B * H).baseAddress!
        dcCarry = arena.slice(B * H).baseAddress!
        self.panels = panels
        projection = InputProjection(D: D, G: 4 * H, B: B, T: T, tokens: tokens,
                                     packedWeights: panels?.inputWeights, arena: arena)
    }

    var shape: LayerShape { LayerShape(D: D, H: H, B: B, T: T) }
    var cellStateBuffer: UnsafeMutablePointer<Scalar>? { c }
    var finalCellState: UnsafeMutablePointer<Scalar>? { cellState(at: T) }

    /// c_1 … c_T, (T, B, H), when every step's is kept.
    var cellStates: UnsafeMutablePointer<Scalar>? {
        precondition(checkpointInterval == 0, "the cell states of a training window are not all kept")
        return c + B * H
    }

    /// K ≈ √T, which minimises the kept slots (T/K + K); none for windows too short to gain.
    static func checkpointInterval(steps T: Int) -> Int {
        T < 8 ? 0 : Int(Double(T).squareRoot().rounded(.up))
    }

    /// Where c_t lives: slot t when all are kept; else the kept ones at multiples of K and at T, the
    /// rest in the segment buffer (written by forward, rewritten by backward's recomputation).
    @inline(__always)
    func cellState(at t: Int) -> UnsafeMutablePointer<Scalar> {
        let K = checkpointInterval, count = B * H
        if K == 0 { return c + t * count }
        let within = t % K
        if within == 0 { return c + (t / K) * count }
        if t == T { return c + (T / K + 1) * count }
        return segmentCells! + (within - 1) * count
    }
    var dCellStateCarry: UnsafeMutablePointer<Scalar>? { dcCarry }

    /// Runs the window from the state in slot 0 of `h` and `c`; the input is (T, B, D).
    func forward(input: LayerInput<Scalar>) {
        let G = 4 * H
        projection.forward(input, weightIH: weights.weightIH, bias: weights.biasIH, plus: weights.biasHH, into: gates)
        if let panels {
            return forwardPacked(panels: panels.forward)
        }
        for t in 0..<T {
            let z = gates + t * B * G
            let hPrev = h + t * B * H, cPrev = cellState(at: t)
            let hNext = h + (t + 1) * B * H, cNext = cellState(at: t + 1)
            Scalar.gemm(transA: false, transB: true, m: B, n: G, k: H, alpha: 1, a: hPrev, lda: H,
                        b: weights.weightHH, ldb: H, beta: 1, c: z, ldc: G)
            for b in 0..<B {
                let zb = z + b * G, row = b * H
                // Gate activations block by block (vectorised): i, f | g | o.
                Scalar.sigmoid(inPlace: zb, count: 2 * H)
                Scalar.tanh(inPlace: zb + 2 * H, count: H)
                Scalar.sigmoid(inPlace: zb + 3 * H, count: H)
                for j in 0..<H {
                    let cell = zb[H + j] * cPrev[row + j] + zb[j] * zb[2 * H + j]
                    cNext[row + j] = cell
                    hNext[row + j] = cell
                }
                Scalar.tanh(inPlace: hNext + row, count: H)  // tanh(c_t), then h_t = o ⊙ tanh(c_t)
                for j in 0..<H {
                    hNext[row + j] *= zb[3 * H + j]
                }
            }
        }
    }

    /// The steps of `forward` on the packed path: weight_hh's panels interleave the four gates in
    /// blocks of the path's lanes (8 or 16 units), so one register tile holds i, f, g and o of the same
    /// units.
    private func forwardPacked(panels: UnsafeMutablePointer<Scalar>) {
        let G = 4 * H
        if !self.panels!.packedOnce { packForwardPanels() }
        for t in 0..<T {
            Self.packedStep(PackedStepOperands(gates: gates + t * B * G, rows: B, hidden: H, hPrev: h + t * B * H,
                                               panels: panels, cPrev: cellState(at: t), cNext: cellState(at: t + 1),
                                               hNext: h + (t + 1) * B * H))
        }
    }

    /// Packs weight_hh into the forward panels, when the layer has them.
    func packForwardPanels() {
        if let panels = panels?.forward { Self.forwardPanels.pack(weights.weightHH, hidden: H, into: panels) }
    }

    /// weight_hh's forward panels: all four gate blocks interleaved.
    static var forwardPanels: ForwardPanels { ForwardPanels(interleavedBlocks: 4, separateBlocks: 0) }

    /// One fused step on the packed path: product, gates and cell (`PackedRecurrentKernels.lstmStep`).
    @inline(__always)
    static func packedStep(_ s: PackedStepOperands<Scalar>) {
        PackedRecurrentKernels.lstmStep(gates: s.gates, rows: s.rows, hidden: s.hidden, hPrev: s.hPrev, panels: s.panels,
                                        cPrev: s.cPrev, cNext: s.cNext, hNext: s.hNext, units: s.unitRange)
    }

    /// `forward` of a one-step window with weights packed once, for the units in `units` only
    /// (`CellLayer.forwardStep`): each unit's gates, cell and output come out as `forward` computes them.
    func forwardStep(input: LayerInput<Scalar>, units: Range<Int>) {
        projection.forward(input, bias: weights.biasIH, plus: weights.biasHH, into: gates, hidden: H, units: units)
        Self.packedStep(PackedStepOperands(gates: gates, rows: B, hidden: H, hPrev: h, panels: panels!.forward,
                                           cPrev: cellState(at: 0), cNext: cellState(at: 1), hNext: h + B * H,
                                           units: units))
    }

    /// Back-propagates `dOutput` (T, B, H), the loss gradient at h_1 … h_T, through the window.
    /// Accumulates the weight gradients, writes the input gradient to `dx` (T, B, D) when given,
    /// and leaves the incoming-state gradients in `dhCarry` and `dcCarry`. `deferringWeightGradients`
    /// leaves the weight gradients to `accumulateWeightGradients(input:share:)`: dG stays in `gates`.
    func backward(dOutput: UnsafePointer<Scalar>, input: LayerInput<Scalar>,
                  dx: UnsafeMutablePointer<Scalar>?, fault: GradientFault) {
        backward(dOutput: dOutput, input: input, dx: dx, fault: fault, deferringWeightGradients: false)
    }

    func backward(dOutput: UnsafePointer<Scalar>, input: LayerInput<Scalar>,
                  dx: UnsafeMutablePointer<Scalar>?, fault: GradientFault, deferringWeightGradients: Bool) {
        let G = 4 * H
        dhCarry.update(repeating: 0, count: B * H)
        dcCarry.update(repeating: 0, count: B * H)
        let panels = self.panels?.backward
        if let panels {  // weight_hhᵀ (H, 4H)
            PackedRecurrentKernels.packBackward(weights.weightHH, hidden: H, depth: G, into: panels)
        }
        let K = checkpointInterval
        for t in stride(from: T - 1, through: 0, by: -1) {
            if K > 0, t == T - 1 || (t + 1) % K == 0 { recomputeCells(from: t - t % K, through: t) }
            let z = gates + t * B * G, dz = dGates + t * B * G
            let cPrev = cellState(at: t), cNext = cellState(at: t + 1), dOut = dOutput + t * B * H
            if panels != nil {
                PackedRecurrentKernels.lstmBackwardStep(gates: z, rows: B, hidden: H, cPrev: cPrev, cNext: cNext,
                                                        dOutput: dOut, dhCarry: dhCarry, dcCarry: dcCarry)
            } else {
                backwardPointwise(z: z, cPrev: cPrev, cNext: cNext, dOut: dOut)
            }
            if fault == .dropRecurrentTerm {
                dhCarry.update(repeating: 0, count: B * H)
            } else if let panels {
                PackedRecurrentKernels.backwardProduct(dz, rows: B, depth: G, lda: G, panels: panels, hidden: H,
                                                       into: dhCarry, ldc: H, accumulate: false)
            } else {
                Scalar.gemm(transA: false, transB: false, m: B, n: H, k: G, alpha: 1, a: dz, lda: G,
                            b: weights.weightHH, ldb: H, beta: 0, c: dhCarry, ldc: H)
            }
        }
        projection.inputGradient(input, dPreactivations: dGates, weightIH: weights.weightIH, dx: dx)
        if !deferringWeightGradients { accumulateWeightGradients(input: input, share: .whole) }
    }

    /// The weight gradients a deferred `backward` left: `share`'s rows of dW_ih, dW_hh and the biases.
    func accumulateWeightGradients(input: LayerInput<Scalar>, share: GradientShare) {
        let G = 4 * H, rows = T * B, part = share.range(of: G)
        projection.weightGradient(input, dPreactivations: dGates, weightIH: weights.weightIH,
                                  dWeightIH: gradients.weightIH, share: share)
        guard !part.isEmpty else { return }
        let first = part.lowerBound
        Scalar.gemm(transA: true, transB: false, m: part.count, n: H, k: rows, alpha: 1, a: dGates + first, lda: G,
                    b: h, ldb: H, beta: 1, c: gradients.weightHH + first * H, ldc: H)
        addColumnSums(dGates + first, rows: rows, columns: part.count, stride: G, into: gradients.biasIH + first,
                      and: gradients.biasHH + first)
    }

    /// c_{start+1} … c_end again from the kept c_start and the gates of steps start ..< end, which
    /// backward has not reached yet: the same arithmetic as the forward step that ran (the packed
    /// kernel's fused multiply-add, or the generic loop's product and sum), so the same values.
    private func recomputeCells(from start: Int, through end: Int) {
        let G = 4 * H
        for u in start..<end {
            let z = gates + u * B * G, cPrev = cellState(at: u), cNext = cellState(at: u + 1)
            if panels != nil {
                PackedRecurrentKernels.lstmCells(gates: z, rows: B, hidden: H, cPrev: cPrev, cNext: cNext)
                continue
            }
            for b in 0..<B {
                let zb = z + b * G, row = b * H
                for j in 0..<H {
                    cNext[row + j] = zb[H + j] * cPrev[row + j] + zb[j] * zb[2 * H + j]
                }
            }
        }
    }

    /// The pointwise part of backward step t on the generic path: dG from the cached gates, and the
    /// cell gradient carried to step t − 1.
    private func backwardPointwise(z: UnsafeMutablePointer<Scalar>, cPrev: UnsafePointer<Scalar>,
                                   cNext: UnsafePointer<Scalar>, dOut: UnsafePointer<Scalar>) {
        let G = 4 * H
        let tc = tanhScratch
        tc.update(from: cNext, count: B * H)
        Scalar.tanh(inPlace: tc, count: B * H)
        for b in 0..<B {
            let zb = z + b * G, dzb = zb, row = b * H  // dG replaces the gates it is computed from
            for j in 0..<H {
                let i = zb[j], f = zb[H + j], g = zb[2 * H + j], o = zb[3 * H + j]
                let squashed = tc[row + j]
                let dh = dOut[row + j] + dhCarry[row + j]
                let dc = dcCarry[row + j] + dh * o * (1 - squashed * squashed)
                dzb[j] = dc * g * i * (1 - i)
                dzb[H + j] = dc * cPrev[row + j] * f * (1 - f)
                dzb[2 * H + j] = dc * i * (1 - g * g)
                dzb[3 * H + j] = dh * squashed * o * (1 - o)
                dcCarry[row + j] = dc * f
            }
        }
    }

    /// One character through one layer for each of `rows` streams with half-precision matrices:
    /// gates = W_ih x + b_ih + W_hh h + b_hh, then the cell update as in `forward`. Stream b's input is
    /// at `x + b·inputStride`.
    static func stepHalfPrecision(_ layer: HalfPrecisionLayer, rows: Int, input x: UnsafePointer<Float>,
                                  inputStride: Int) {
        let H = layer.hidden, G = 4 * H
        layer.gatePreactivations(gateBlocks: 4, rows: rows, input: x, inputStride: inputStride, withBiases: true)
        for b in 0..<rows {
            let (gates, recurrent, h, c) = (layer.inputGates + b * G, layer.recurrentGates + b * G, layer.h + b * H,
                                            layer.c + b * H)
            for j in 0..<G { gates[j] += recurrent[j] }
            Float.sigmoid(inPlace: gates, count: 2 * H)
            Float.tanh(inPlace: gates + 2 * H, count: H)
            Float.sigmoid(inPlace: gates + 3 * H, count: H)
            for j in 0..<H { c[j] = gates[H + j] * c[j] + gates[j] * gates[2 * H + j] }
            h.update(from: c, count: H)
            Float.tanh(inPlace: h, count: H)
            for j in 0..<H { h[j] *= gates[3 * H + j] }
        }
    }
}
