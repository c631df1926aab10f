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
/// bandwidth; halving the bytes read is what makes it faster. Each layer's step is its cell's
/// (`CellKind.stepBatchOne`), which follows the equations of the cell's layer for one stream.
final class HalfPrecisionStep {
    let config: ModelConfig
    private let gemv: (UnsafePointer<UInt16>, Int64, Int64, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    private let halves: UnsafeMutableBufferPointer<UInt16>
    private let floats: UnsafeMutableBufferPointer<Float>
    private let layers: [BatchOneLayer]
    private let embedding: UnsafePointer<Float>
    private let decoderWeight: UnsafePointer<UInt16>
    private let decoderBias: UnsafePointer<Float>
    /// The decoder's logits after `feed`, (V).
    let logits: UnsafeMutableBufferPointer<Float>

    /// Whether this CPU runs the F16C kernel (AVX2, FMA and F16C, with the OS saving YMM).
    static var cpuHasF16C: Bool { InstructionSets.current.hasF16C }

    /// - Parameter portable: the software-conversion kernel even where F16C exists (for tests).
    init(model: CharRNNModel<Float>, portable: Bool = false) {
        precondition(!model.config.bidirectional, "a bidirectional model does not generate text")
        let config = model.config
        self.config = config
        gemv = portable ? ckernels_gemv_f16_portable : InstructionSets.current.halfGEMV(path: RecurrentKernels.path)
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
        let extraCount = (0..<L).reduce(0) { $0 + layout.recurrentSlots(layer: $1).extra.reduce(0) { $0 + $1.count } }
        let floatCount = layout.embedding.count + L * (2 * G + 2 * H) + extraCount + V + V + 2 * G + H
        floats = .allocate(capacity: floatCount)
        floats.initialize(repeating: 0)
        var next = floats.baseAddress!
        func take(_ count: Int, from source: UnsafePointer<Float>? = nil) -> UnsafeMutablePointer<Float> {
            defer { next += count }
            if let source { next.update(from: source, count: count) }
            return next
        }
        embedding = UnsafePointer(take(layout.embedding.count, from: parameters + layout.embedding.offset))
        let (inputGates, recurrentGates, scratch) = (take(G), take(G), take(H))  // shared: layers step in turn
        let gemv = self.gemv
        layers = (0..<L).map { k in
            let slots = layout.recurrentSlots(layer: k)
            let extraCount = slots.extra.reduce(0) { $0 + $1.count }
            let extra = slots.extra.first.map { UnsafePointer(take(extraCount, from: parameters + $0.offset)) }
            return BatchOneLayer(inputWidth: config.inputSize(ofLayer: k), hidden: H, weightIH: matrices[2 * k],
                                 weightHH: matrices[2 * k + 1],
                                 biasIH: UnsafePointer(take(G, from: parameters + slots.biasIH.offset)),
                                 biasHH: UnsafePointer(take(G, from: parameters + slots.biasHH.offset)),
                                 extra: extra, h: take(H), c: take(H), inputGates: inputGates,
                                 recurrentGates: recurrentGates, scratch: scratch, gemv: gemv)
        }
        decoderWeight = matrices[2 * L]
        decoderBias = UnsafePointer(take(V, from: parameters + layout.decoderBias.offset))
        logits = UnsafeMutableBufferPointer(start: take(V), count: V)
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
            config.cell.stepBatchOne(layer, variant: config.gruVariant, input: x)
            x = UnsafePointer(layer.h)
        }
        logits.baseAddress!.update(from: decoderBias, count: config.vocabularySize)
        gemv(decoderWeight, Int64(config.vocabularySize), Int64(H), x, logits.baseAddress!)
    }
}
