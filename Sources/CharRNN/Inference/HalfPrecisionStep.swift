import CKernels

/// The precision of the weights that inference reads.
public enum WeightPrecision: String, Sendable, CaseIterable {
    /// As trained.
    case f32
    /// Weight matrices rounded to IEEE half precision: half the bytes read per character.
    case f16
}

/// Batch-1 inference with the weight matrices (input, recurrent, decoder) held as IEEE half
/// precision and widened to float inside the matrix-vector kernel (F16C), biases, embedding rows and
/// all arithmetic in float. Sampling one character reads every weight once, so it is bound by memory
/// bandwidth; halving the bytes read is what makes it faster. The step follows the equations of
/// `LSTMLayer` and `GRULayer` (both variants), for one stream:
///
///     gi = W_ih x + b_ih,  gh = W_hh h + b_hh
///     LSTM:  i, f, g, o = σ, σ, tanh, σ of (gi + gh);  c ← f ⊙ c + i ⊙ g;  h ← o ⊙ tanh c
///     GRU:   r, z = σ(gi_r + gh_r), σ(gi_z + gh_z);  h ← (1 − z) ⊙ n + z ⊙ h, with
///            n = tanh(gi_n + r ⊙ gh_n) (reset-after) or tanh(gi_n + W_hn (r ⊙ h) + b_hn) (reset-before)
final class HalfPrecisionStep {
    let config: ModelConfig
    private let gemv: (UnsafePointer<UInt16>, Int64, Int64, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    private let halves: UnsafeMutableBufferPointer<UInt16>
    private let floats: UnsafeMutableBufferPointer<Float>
    private struct Layer {
        let inputWidth: Int
        let weightIH, weightHH: UnsafePointer<UInt16>
        let biasIH, biasHH: UnsafePointer<Float>
        let h, c: UnsafeMutablePointer<Float>
    }
    private let layers: [Layer]
    private let embedding: UnsafePointer<Float>
    private let decoderWeight: UnsafePointer<UInt16>
    private let decoderBias: UnsafePointer<Float>
    private let inputGates, recurrentGates, resetHidden: UnsafeMutablePointer<Float>
    /// The decoder's logits after `feed`, (V).
    let logits: UnsafeMutableBufferPointer<Float>

    /// Whether this CPU runs the F16C kernel (AVX2, FMA and F16C, with the OS saving YMM).
    static var cpuHasF16C: Bool { InstructionSets.current.hasF16C }

    /// - Parameter portable: the software-conversion kernel even where F16C exists (for tests).
    init(model: CharRNNModel<Float>, portable: Bool = false) {
        precondition(!model.config.bidirectional, "a bidirectional model does not generate text")
        let config = model.config
        self.config = config
        gemv = portable ? ckernels_gemv_f16_portable : InstructionSets.current.halfGEMV
        let (L, H, V, G) = (config.layerCount, config.hiddenSize, config.vocabularySize, config.cell.gateCount * config.hiddenSize)
        let layout = model.layout
        let parameters = model.parameters.baseAddress!

        // Every weight matrix in one block of halves, every float in one block.
        let matrixSlots = Self.matrixSlots(layout, layers: L)
        halves = .allocate(capacity: matrixSlots.reduce(0) { $0 + $1.count })
        var offset = 0
        var matrices: [UnsafePointer<UInt16>] = []
        for slot in matrixSlots {
            for i in 0..<slot.count { halves[offset + i] = ckernels_float_to_half(parameters[slot.offset + i]) }
            matrices.append(UnsafePointer(halves.baseAddress! + offset))
            offset += slot.count
        }
        let floatCount = layout.embedding.count + L * (2 * G + 2 * H) + V + V + 2 * G + H
        floats = .allocate(capacity: floatCount)
        floats.initialize(repeating: 0)
        var next = floats.baseAddress!
        func take(_ count: Int, from source: UnsafePointer<Float>? = nil) -> UnsafeMutablePointer<Float> {
            defer { next += count }
            if let source { next.update(from: source, count: count) }
            return next
        }
        embedding = UnsafePointer(take(layout.embedding.count, from: parameters + layout.embedding.offset))
        layers = (0..<L).map { k in
            let slots = layout.recurrentSlots(layer: k)
            return Layer(inputWidth: config.inputSize(ofLayer: k), weightIH: matrices[2 * k], weightHH: matrices[2 * k + 1],
                         biasIH: UnsafePointer(take(G, from: parameters + slots.biasIH.offset)),
                         biasHH: UnsafePointer(take(G, from: parameters + slots.biasHH.offset)),
                         h: take(H), c: take(H))
        }
        decoderWeight = matrices[2 * L]
        decoderBias = UnsafePointer(take(V, from: parameters + layout.decoderBias.offset))
        logits = UnsafeMutableBufferPointer(start: take(V), count: V)
        inputGates = take(G)
        recurrentGates = take(G)
        resetHidden = take(H)
    }

    /// The tensors held in half precision: every layer's W_ih and W_hh, then the decoder's weight.
    static func matrixSlots(_ layout: ParameterLayout, layers: Int) -> [TensorSlot] {
        (0..<layers).flatMap { k in
            [layout.recurrentSlots(layer: k).weightIH, layout.recurrentSlots(layer: k).weightHH]
        } + [layout.decoderWeight]
    }

    /// Rounds `model`'s matrices to the half-precision values this step reads (for scoring with
    /// f16 weights through the windowed float engine).
    static func roundMatricesToHalf(_ model: CharRNNModel<Float>) {
        for slot in matrixSlots(model.layout, layers: model.config.layerCount) {
            for i in slot.offset..<(slot.offset + slot.count) {
                model.parameters[i] = ckernels_half_to_float(ckernels_float_to_half(model.parameters[i]))
            }
        }
    }

    deinit {
        halves.deallocate()
        floats.deallocate()
    }

    /// Back to the zero state.
    func reset() {
        for layer in layers {
            layer.h.update(repeating: 0, count: config.hiddenSize)
            layer.c.update(repeating: 0, count: config.hiddenSize)
        }
    }

    /// The hidden state of every layer, then the cell state (zero for the GRU), as (L, 1, H) each.
    var state: (h: [Float], c: [Float]) {
        let H = config.hiddenSize
        return (layers.flatMap { Array(UnsafeBufferPointer(start: $0.h, count: H)) },
                layers.flatMap { Array(UnsafeBufferPointer(start: $0.c, count: H)) })
    }

    /// Sets the state and logits, as `state` and `logits` gave them.
    func restore(h: [Float], c: [Float], logits saved: [Float]) {
        let H = config.hiddenSize
        for (k, layer) in layers.enumerated() {
            for j in 0..<H {
                layer.h[j] = h[k * H + j]
                layer.c[j] = c[k * H + j]
            }
        }
        _ = logits.update(fromContentsOf: saved)
    }

    /// Advances the state by character `id` and leaves the next character's logits in `logits`.
    func feed(_ id: Int32) {
        let H = config.hiddenSize, E = config.embeddingSize
        var x = embedding + Int(id) * E
        for layer in layers {
            let G = config.cell.gateCount * H
            inputGates.update(from: layer.biasIH, count: G)
            gemv(layer.weightIH, Int64(G), Int64(layer.inputWidth), x, inputGates)
            switch (config.cell, config.gruVariant) {
            case (.lstm, _):
                recurrentGates.update(from: layer.biasHH, count: G)
                gemv(layer.weightHH, Int64(G), Int64(H), layer.h, recurrentGates)
                for j in 0..<G { inputGates[j] += recurrentGates[j] }
                Float.sigmoid(inPlace: inputGates, count: 2 * H)
                Float.tanh(inPlace: inputGates + 2 * H, count: H)
                Float.sigmoid(inPlace: inputGates + 3 * H, count: H)
                for j in 0..<H { layer.c[j] = inputGates[H + j] * layer.c[j] + inputGates[j] * inputGates[2 * H + j] }
                layer.h.update(from: layer.c, count: H)
                Float.tanh(inPlace: layer.h, count: H)
                for j in 0..<H { layer.h[j] *= inputGates[3 * H + j] }
            case (.gru, .resetAfter):
                recurrentGates.update(from: layer.biasHH, count: G)
                gemv(layer.weightHH, Int64(G), Int64(H), layer.h, recurrentGates)
                for j in 0..<(2 * H) { inputGates[j] += recurrentGates[j] }
                Float.sigmoid(inPlace: inputGates, count: 2 * H)
                for j in 0..<H { inputGates[2 * H + j] += inputGates[j] * recurrentGates[2 * H + j] }
                Float.tanh(inPlace: inputGates + 2 * H, count: H)
                updateGRUState(layer)
            case (.gru, .resetBefore):
                recurrentGates.update(from: layer.biasHH, count: G)
                gemv(layer.weightHH, Int64(2 * H), Int64(H), layer.h, recurrentGates)
                for j in 0..<(2 * H) { inputGates[j] += recurrentGates[j] }
                Float.sigmoid(inPlace: inputGates, count: 2 * H)
                for j in 0..<H { resetHidden[j] = inputGates[j] * layer.h[j] }
                gemv(layer.weightHH + 2 * H * H, Int64(H), Int64(H), resetHidden, recurrentGates + 2 * H)
                for j in 0..<H { inputGates[2 * H + j] += recurrentGates[2 * H + j] }
                Float.tanh(inPlace: inputGates + 2 * H, count: H)
                updateGRUState(layer)
            }
            x = UnsafePointer(layer.h)
        }
        logits.baseAddress!.update(from: decoderBias, count: config.vocabularySize)
        gemv(decoderWeight, Int64(config.vocabularySize), Int64(H), x, logits.baseAddress!)
    }

    /// h ← (1 − z) ⊙ n + z ⊙ h, with z and n in the gate buffer.
    @inline(__always)
    private func updateGRUState(_ layer: Layer) {
        let H = config.hiddenSize
        for j in 0..<H {
            let z = inputGates[H + j], n = inputGates[2 * H + j]
            layer.h[j] = (1 - z) * n + z * layer.h[j]
        }
    }
}
