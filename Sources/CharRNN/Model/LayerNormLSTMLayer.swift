/// One layer-normalised LSTM layer (`--cell lstm-ln`; Ba, Kiros & Hinton, *Layer Normalization*,
/// 2016, §3.1) over a window of `T` steps for `B` streams. Each gate block's input and recurrent
/// pre-activations are normalised over its H units, and so is the cell state before the output
/// tanh, each with its own gains γ and shifts β:
///
///     LN(a; γ, β) = γ ⊙ (a − μ(a)) / √(σ²(a) + ε) + β,   μ, σ² over the H entries, ε = 1e-5
///     [i, f, g, o] = LN(W_ih x_t; γ_ih, b_ih) + LN(W_hh h_{t−1}; γ_hh, b_hh)    per gate block
///     i, f, o = σ(·), g = tanh(·);  c_t = f ⊙ c_{t−1} + i ⊙ g;  h_t = o ⊙ tanh(LN(c_t; γ_c, β_c))
///
/// bias_ih and bias_hh are the shifts of the two normalisations (an extra bias would only add to
/// them). Parameters: `weight_ih` (4H, D), `weight_hh` (4H, H), `bias_ih`, `bias_hh` (4H), then
/// `ln_weight_ih`, `ln_weight_hh` (4H, gains 1), `ln_weight_c`, `ln_bias_c` (H, 1 and 0).
///
/// Cached for backward: `inputNormalized` x̂ of W_ih x and `recurrentNormalized` x̂ of W_hh h_{t−1}
/// (T, B, 4H) with their 1/σ per block (T, B, 4); `gates` (T, B, 4H) after activation; `c`, `h`
/// (T+1, B, H), slot 0 the incoming state; `cellNormalized` x̂ of c_t (T, B, H) and its 1/σ (T, B).
///
/// Backward: with ∂LN: dy ↦ (1/σ)(dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂)), dx̂ = γ ⊙ dy, per block;
///
///     u = tanh(ĉ), ĉ = LN(c_t):  do = dh ⊙ u · o(1−o);  dĉ = dh ⊙ o ⊙ (1 − u²)
///     dc_t = dc_{t+1}·f_{t+1} + ∂LN(dĉ);  dγ_c += dĉ ⊙ x̂_c;  dβ_c += dĉ
///     di = dc ⊙ g · i(1−i)   df = dc ⊙ c_{t−1} · f(1−f)   dg = dc ⊙ i · (1−g²)   (dP = [di, df, dg, do])
///     dγ_hh += dP ⊙ x̂_hh;  db_hh += dP;  dA_hh = ∂LN(dP);  dh_{t−1} = dA_hh · W_hh;  dW_hh += dA_hhᵀ h_{t−1}
///     dγ_ih += dP ⊙ x̂_ih;  db_ih += dP;  dA_ih = ∂LN(dP), then dW_ih and the input's gradient (`InputProjection`)
///
/// dP replaces `gates` and dA_hh replaces `recurrentNormalized` step by step; dA_ih replaces
/// `gates` after the steps. On the packed path (`PackedRecurrentKernels`) the recurrent products
/// h_{t−1} · W_hhᵀ and dA_hh · W_hh read weight_hh from panels packed once per window (in `panels`,
/// memory idle at the time); the rest is Swift on every path (a fused epilogue finishes a few units
/// at a time, and a normalisation needs all H of a block first).
struct LayerNormLSTMLayer<Scalar: BLASScalar>: RecurrentLayer {
    let D: Int, H: Int, B: Int, T: Int
    let weights: RecurrentTensors<Scalar>
    let gradients: RecurrentTensors<Scalar>

    let gates, c, h, dhCarry, dcCarry: UnsafeMutablePointer<Scalar>
    let inputNormalized, inputScale, recurrentNormalized, recurrentScale: UnsafeMutablePointer<Scalar>
    let cellNormalized, cellScale: UnsafeMutablePointer<Scalar>
    /// (4H) zeros: the input projection's bias (the shifts come after the normalisation).
    let zeros: UnsafeMutablePointer<Scalar>
    let panels: PanelPlacement<Scalar>?
    let projection: InputProjection<Scalar>

    /// ε of every normalisation, as PyTorch's `nn.LayerNorm`.
    static var epsilon: Scalar { 1e-5 }

    /// The tensors this cell adds to the LSTM's four (`CellKind.recurrentTensors`).
    static func normalizationTensors(hidden H: Int) -> [RecurrentTensorShape] {
        [RecurrentTensorShape(name: "ln_weight_ih", shape: [4 * H], initial: .constant(1)),
         RecurrentTensorShape(name: "ln_weight_hh", shape: [4 * H], initial: .constant(1)),
         RecurrentTensorShape(name: "ln_weight_c", shape: [H], initial: .constant(1)),
         RecurrentTensorShape(name: "ln_bias_c", shape: [H], initial: .constant(0))]
    }

    init(_ shape: LayerShape, weights: RecurrentTensors<Scalar>, gradients: RecurrentTensors<Scalar>,
         panels: PanelPlacement<Scalar>?, tokens: TokenTable?, arena: Arena<Scalar>) {
        let (D, H, B, T) = (shape.D, shape.H, shape.B, shape.T)
        (self.D, self.H, self.B, self.T) = (D, H, B, T)
        self.weights = weights
        self.gradients = gradients
        gates = arena.slice(T * B * 4 * H).baseAddress!
        c = arena.slice((T + 1) * B * H).baseAddress!
        h = arena.slice((T + 1) * B * H).baseAddress!
        dhCarry = arena.slice(B * H).baseAddress!
        dcCarry = arena.slice(B * H).baseAddress!
        inputNormalized = arena.slice(T * B * 4 * H).baseAddress!
        inputScale = arena.slice(T * B * 4).baseAddress!
        recurrentNormalized = arena.slice(T * B * 4 * H).baseAddress!
        recurrentScale = arena.slice(T * B * 4).baseAddress!
        cellNormalized = arena.slice(T * B * H).baseAddress!
        cellScale = arena.slice(T * B).baseAddress!
        zeros = arena.slice(4 * H).baseAddress!
        self.panels = panels
        projection = InputProjection(D: D, G: 4 * H, B: B, T: T, tokens: tokens,
                                     packedWeights: panels?.inputWeights, arena: arena)
    }

    var shape: LayerShape { LayerShape(D: D, H: H, B: B, T: T) }
    var cellStateBuffer: UnsafeMutablePointer<Scalar>? { c }
    var dCellStateCarry: UnsafeMutablePointer<Scalar>? { dcCarry }

    /// The normalisation parameters inside `tensors.extra`: γ_ih, γ_hh (4H), γ_c, β_c (H).
    private func normalization(_ tensors: RecurrentTensors<Scalar>)
        -> (inputGain: UnsafeMutablePointer<Scalar>, recurrentGain: UnsafeMutablePointer<Scalar>,
            cellGain: UnsafeMutablePointer<Scalar>, cellShift: UnsafeMutablePointer<Scalar>) {
        let extra = tensors.extra!
        return (extra, extra + 4 * H, extra + 8 * H, extra + 9 * H)
    }

    func forward(input: LayerInput<Scalar>) {
        let G = 4 * H, rows = T * B
        let (inputGain, recurrentGain, cellGain, cellShift) = normalization(weights)
        projection.forward(input, weightIH: weights.weightIH, bias: zeros, plus: nil, into: inputNormalized)
        for r in 0..<rows {
            for k in 0..<4 {
                inputScale[r * 4 + k] = Self.normalize(inputNormalized + r * G + k * H, count: H)
            }
        }
        let forwardPanels = panels?.forward
        if let panels, !panels.packedOnce { packForwardPanels() }
        for t in 0..<T {
            let hPrev = h + t * B * H, cPrev = c + t * B * H
            let hNext = h + (t + 1) * B * H, cNext = c + (t + 1) * B * H
            let recurrent = recurrentNormalized + t * B * G
            if let forwardPanels {
                PackedRecurrentKernels.forwardProduct(hPrev, rows: B, hidden: H, lda: H, panels: forwardPanels, blocks: 4,
                                                      into: recurrent, ldc: G, accumulate: false)
            } else {
                Scalar.gemm(transA: false, transB: true, m: B, n: G, k: H, alpha: 1, a: hPrev, lda: H,
                            b: weights.weightHH, ldb: H, beta: 0, c: recurrent, ldc: G)
            }
            for b in 0..<B {
                let r = t * B + b, row = b * H
                let zb = gates + r * G, xb = inputNormalized + r * G, hb = recurrent + b * G
                for k in 0..<4 { recurrentScale[r * 4 + k] = Self.normalize(hb + k * H, count: H) }
                for j in 0..<G {
                    zb[j] = inputGain[j] * xb[j] + weights.biasIH[j] + recurrentGain[j] * hb[j] + weights.biasHH[j]
                }
                Scalar.sigmoid(inPlace: zb, count: 2 * H)
                Scalar.tanh(inPlace: zb + 2 * H, count: H)
                Scalar.sigmoid(inPlace: zb + 3 * H, count: H)
                for j in 0..<H { cNext[row + j] = zb[H + j] * cPrev[row + j] + zb[j] * zb[2 * H + j] }
                let cn = cellNormalized + r * H
                cn.update(from: cNext + row, count: H)
                cellScale[r] = Self.normalize(cn, count: H)
                for j in 0..<H { hNext[row + j] = cellGain[j] * cn[j] + cellShift[j] }
                Scalar.tanh(inPlace: hNext + row, count: H)  // tanh(ĉ_t), then h_t = o ⊙ tanh(ĉ_t)
                for j in 0..<H { hNext[row + j] *= zb[3 * H + j] }
            }
        }
    }

    func backward(dOutput: UnsafePointer<Scalar>, input: LayerInput<Scalar>,
                  dx: UnsafeMutablePointer<Scalar>?, fault: GradientFault) {
        let G = 4 * H, rows = T * B
        let (inputGain, recurrentGain, cellGain, cellShift) = normalization(weights)
        let (dInputGain, dRecurrentGain, dCellGain, dCellShift) = normalization(gradients)
        dhCarry.update(repeating: 0, count: B * H)
        dcCarry.update(repeating: 0, count: B * H)
        let backwardPanels = panels?.backward
        if let backwardPanels {
            PackedRecurrentKernels.packBackward(weights.weightHH, hidden: H, depth: G, into: backwardPanels)
        }
        for t in stride(from: T - 1, through: 0, by: -1) {
            let cPrev = c + t * B * H, dOut = dOutput + t * B * H
            for b in 0..<B {
                let r = t * B + b, row = b * H
                let zb = gates + r * G, cn = cellNormalized + r * H, hb = recurrentNormalized + r * G
                // dĉ into dhCarry's row once dh is read: that row is rewritten by the product below.
                let dCell = dhCarry + row
                for j in 0..<H {
                    let o = zb[3 * H + j]
                    let squashed = Scalar.tanh(cellGain[j] * cn[j] + cellShift[j])
                    let dh = dOut[row + j] + dhCarry[row + j]
                    zb[3 * H + j] = dh * squashed * o * (1 - o)
                    let dNormalizedCell = dh * o * (1 - squashed * squashed)
                    dCellGain[j] += dNormalizedCell * cn[j]
                    dCellShift[j] += dNormalizedCell
                    dCell[j] = dNormalizedCell
                }
                if fault != .skipCellNormalizationGradient {
                    Self.backNormalize(dCell, gain: cellGain, normalized: cn, scale: cellScale[r], count: H, into: dCell)
                }
                for j in 0..<H {
                    let i = zb[j], f = zb[H + j], g = zb[2 * H + j]
                    let dc = dcCarry[row + j] + dCell[j]
                    zb[j] = dc * g * i * (1 - i)
                    zb[H + j] = dc * cPrev[row + j] * f * (1 - f)
                    zb[2 * H + j] = dc * i * (1 - g * g)
                    dcCarry[row + j] = dc * f
                }
                // dP is complete: the recurrent normalisation's gradients, dA_hh over x̂_hh.
                for j in 0..<G { dRecurrentGain[j] += zb[j] * hb[j] }
                for k in 0..<4 {
                    Self.backNormalize(zb + k * H, gain: recurrentGain + k * H, normalized: hb + k * H,
                                       scale: recurrentScale[r * 4 + k], count: H, into: hb + k * H)
                }
            }
            if fault == .dropRecurrentTerm {
                dhCarry.update(repeating: 0, count: B * H)
            } else if let backwardPanels {
                PackedRecurrentKernels.backwardProduct(recurrentNormalized + t * B * G, rows: B, depth: G, lda: G,
                                                       panels: backwardPanels, hidden: H, into: dhCarry, ldc: H,
                                                       accumulate: false)
            } else {
                Scalar.gemm(transA: false, transB: false, m: B, n: H, k: G, alpha: 1, a: recurrentNormalized + t * B * G,
                            lda: G, b: weights.weightHH, ldb: H, beta: 0, c: dhCarry, ldc: H)
            }
        }
        // dW_hh from dA_hh; both shifts from dP; then the input normalisation's gradients.
        Scalar.gemm(transA: true, transB: false, m: G, n: H, k: rows, alpha: 1, a: recurrentNormalized, lda: G,
                    b: h, ldb: H, beta: 1, c: gradients.weightHH, ldc: H)
        addColumnSums(gates, rows: rows, columns: G, stride: G, into: gradients.biasIH, and: gradients.biasHH)
        for r in 0..<rows {
            let dP = gates + r * G, xb = inputNormalized + r * G
            for j in 0..<G { dInputGain[j] += dP[j] * xb[j] }
            for k in 0..<4 {
                Self.backNormalize(dP + k * H, gain: inputGain + k * H, normalized: xb + k * H,
                                   scale: inputScale[r * 4 + k], count: H, into: dP + k * H)
            }
        }
        projection.backward(input, dPreactivations: gates, weightIH: weights.weightIH,
                            dWeightIH: gradients.weightIH, dx: dx)
    }

    /// Packs weight_hh into the forward panels (all four blocks interleaved), when the layer has them.
    func packForwardPanels() {
        if let panels = panels?.forward {
            PackedRecurrentKernels.packForward(weights.weightHH, interleavedBlocks: 4, separateBlocks: 0, hidden: H,
                                               into: panels)
        }
    }

    /// Normalises `count` values in place to x̂ = (x − μ) / √(σ² + ε) and returns 1/√(σ² + ε).
    @inline(__always)
    static func normalize(_ x: UnsafeMutablePointer<Scalar>, count n: Int) -> Scalar {
        var sum: Scalar = 0
        for j in 0..<n { sum += x[j] }
        let mean = sum / Scalar(n)
        var squares: Scalar = 0
        for j in 0..<n {
            let centred = x[j] - mean
            squares += centred * centred
        }
        let scale = 1 / (squares / Scalar(n) + epsilon).squareRoot()
        for j in 0..<n { x[j] = (x[j] - mean) * scale }
        return scale
    }

    /// The gradient at a normalisation's input from the one at its output `dy`, with dx̂ = γ ⊙ dy:
    /// (1/σ)(dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂)), into `result`, which may be `dy` or `normalized`
    /// itself (each entry is read before it is written).
    @inline(__always)
    static func backNormalize(_ dy: UnsafePointer<Scalar>, gain: UnsafePointer<Scalar>,
                              normalized: UnsafePointer<Scalar>, scale: Scalar, count n: Int,
                              into result: UnsafeMutablePointer<Scalar>) {
        var sum: Scalar = 0, dot: Scalar = 0
        for j in 0..<n {
            let dNormalized = dy[j] * gain[j]
            sum += dNormalized
            dot += dNormalized * normalized[j]
        }
        let (mean, meanDot) = (sum / Scalar(n), dot / Scalar(n))
        for j in 0..<n { result[j] = scale * (dy[j] * gain[j] - mean - normalized[j] * meanDot) }
    }

    /// One character through one layer for each of `rows` streams with half-precision matrices, as
    /// `forward` computes it. Stream b's input is at `x + b·inputStride`.
    static func stepHalfPrecision(_ layer: HalfPrecisionLayer, rows: Int, input x: UnsafePointer<Float>,
                                  inputStride: Int) {
        let H = layer.hidden, G = 4 * H
        let extra = layer.extra!
        let (inputGain, recurrentGain, cellGain, cellShift) = (extra, extra + 4 * H, extra + 8 * H, extra + 9 * H)
        // Normalised before the biases are added, so the products start from zero.
        layer.gatePreactivations(gateBlocks: 4, rows: rows, input: x, inputStride: inputStride, withBiases: false)
        for b in 0..<rows {
            let (gates, recurrent, h, c) = (layer.inputGates + b * G, layer.recurrentGates + b * G, layer.h + b * H,
                                            layer.c + b * H)
            for k in 0..<4 {
                _ = LayerNormLSTMLayer<Float>.normalize(gates + k * H, count: H)
                _ = LayerNormLSTMLayer<Float>.normalize(recurrent + k * H, count: H)
            }
            for j in 0..<G {
                gates[j] = inputGain[j] * gates[j] + layer.biasIH[j] + recurrentGain[j] * recurrent[j] + layer.biasHH[j]
            }
            Float.sigmoid(inPlace: gates, count: 2 * H)
            Float.tanh(inPlace: gates + 2 * H, count: H)
            Float.sigmoid(inPlace: gates + 3 * H, count: H)
            for j in 0..<H { c[j] = gates[H + j] * c[j] + gates[j] * gates[2 * H + j] }
            let normalizedCell = layer.scratch + b * H
            normalizedCell.update(from: c, count: H)
            _ = LayerNormLSTMLayer<Float>.normalize(normalizedCell, count: H)
            for j in 0..<H { h[j] = cellGain[j] * normalizedCell[j] + cellShift[j] }
            Float.tanh(inPlace: h, count: H)
            for j in 0..<H { h[j] *= gates[3 * H + j] }
        }
    }
}
