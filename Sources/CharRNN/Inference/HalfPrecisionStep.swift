import CKernels

/// The precision of the weights that inference reads.
public enum WeightPrecision: String, Sendable, CaseIterable {
    /// As trained.
    case f32
    /// Weight matrices rounded to IEEE half precision: half the bytes read per character.
    case f16
}

/// Inference with the weight matrices (input, recurrent, decoder) held as IEEE half precision and
/// widened to float inside the matrix kernel (F16C), biases, embedding rows and all arithmetic in
/// float, for up to `rowCapacity` streams at once (each a row; one stream for `charnn sample`, the
/// active streams of the serving batcher). Sampling one character reads every weight once, so it
/// is bound by memory bandwidth; halving the bytes read is what makes it faster, and a batch reads
/// each weight once for all its streams. Each layer's step is its cell's (`CellKind.stepHalfPrecision`),
/// which follows the equations of the cell's layer; a stream's results do not depend on the other
/// rows (`ckernels_gemm_f16_*`), so a seeded stream samples the same text alone or in a batch.
final class HalfPrecisionStep {
    let config: ModelConfig
    /// Streams one step can advance.
    let rowCapacity: Int
    private let product: HalfProduct
    /// The helper thread of the products, when there are two threads.
    private let split: SplitHalfProduct?
    private let halves: UnsafeMutableBufferPointer<UInt16>
    private let floats: UnsafeMutableBufferPointer<Float>
    private let inputIDs: UnsafeMutableBufferPointer<Int32>
    private let layers: [HalfPrecisionLayer]
    private let embedding: UnsafePointer<Float>
    /// Each row's embedding row, gathered before a step, (B, E).
    private let embedded: UnsafeMutablePointer<Float>
    private let decoderWeight: UnsafePointer<UInt16>
    private let decoderBias: UnsafePointer<Float>
    /// The decoder's logits of every row after a step, (B, V).
    private let allLogits: UnsafeMutablePointer<Float>
    /// Row 0's logits after `feed`, (V).
    let logits: UnsafeMutableBufferPointer<Float>

    /// Whether this CPU runs the F16C kernel (AVX2, FMA and F16C, with the OS saving YMM).
    static var cpuHasF16C: Bool { InstructionSets.current.hasF16C }

    /// - Parameters:
    ///   - rows: the most streams one step advances.
    ///   - threads: 2 splits each large product's outputs with a partner thread (`SplitHalfProduct`),
    ///     on a machine with a second core.
    ///   - portable: the software-conversion kernel even where F16C exists (for tests).
    init(model: CharRNNModel<Float>, rows: Int = 1, threads: Int = 1, portable: Bool = false) {
        precondition(!model.config.bidirectional, "a bidirectional model does not generate text")
        precondition(rows >= 1, "a half-precision step needs at least one row, got \(rows)")
        let config = model.config
        self.config = config
        rowCapacity = rows
        let kernel = portable ? ckernels_gemm_f16_portable : InstructionSets.current.halfGEMM(path: RecurrentKernels.path)
        if threads > 1, StepPartner.hasSecondCore {
            let split = SplitHalfProduct(kernel: kernel)
            self.split = split
            product = { split.multiply($0, rows: $1, cols: $2, input: $3, inputStride: $4, batch: $5, into: $6, outputStride: $7) }
        } else {
            split = nil
            product = { kernel($0, Int64($1), Int64($2), $3, Int64($4), Int64($5), $6, Int64($7)) }
        }
        let (L, H, V, E, B) = (config.layerCount, config.hiddenSize, config.vocabularySize, config.embeddingSize, rows)
        let G = config.cell.gateCount * H
        let layout = model.layout
        let parameters = model.parameters.baseAddress!

        // Every weight matrix in one block of halves, as panels of 16 rows (`ckernels_pack_half_panels`),
        // every float in one block. A reset-before GRU's W_hh is two matrices: its candidate rows
        // (2H…3H) multiply r ⊙ h, apart from the gates' rows.
        let matrixSlots = Self.matrixSlots(layout, layers: L)
        let splitsCandidate = config.cell.takesGRUVariant && config.gruVariant == .resetBefore
        func parts(_ slot: TensorSlot, recurrent: Bool) -> [(offset: Int, rows: Int, cols: Int)] {
            let cols = slot.shape[1], rows = slot.shape[0]
            guard recurrent && splitsCandidate else { return [(slot.offset, rows, cols)] }
            return [(slot.offset, 2 * H, cols), (slot.offset + 2 * H * cols, H, cols)]
        }
        let packed = matrixSlots.enumerated().flatMap { index, slot in
            parts(slot, recurrent: index < 2 * L && index % 2 == 1)
        }
        halves = .allocate(capacity: packed.reduce(0) { $0 + Int(ckernels_half_panels_count(Int64($1.rows), Int64($1.cols))) })
        var offset = 0
        var matrices: [UnsafePointer<UInt16>] = []
        for part in packed {
            ckernels_pack_half_panels(parameters + part.offset, Int64(part.rows), Int64(part.cols), halves.baseAddress! + offset)
            matrices.append(UnsafePointer(halves.baseAddress! + offset))
            offset += Int(ckernels_half_panels_count(Int64(part.rows), Int64(part.cols)))
        }
        var nextMatrix = matrices.makeIterator()
        let extraCount = (0..<L).reduce(0) { $0 + layout.recurrentSlots(layer: $1).extra.reduce(0) { $0 + $1.count } }
        let floatCount = layout.embedding.count + L * (2 * G + 2 * B * H) + extraCount + V + B * V + 2 * B * G + B * H
            + B * E
        floats = .allocate(capacity: floatCount)
        floats.initialize(repeating: 0)
        inputIDs = .allocate(capacity: B)
        inputIDs.initialize(repeating: 0)
        var next = floats.baseAddress!
        func take(_ count: Int, from source: UnsafePointer<Float>? = nil) -> UnsafeMutablePointer<Float> {
            defer { next += count }
            if let source { next.update(from: source, count: count) }
            return next
        }
        embedding = UnsafePointer(take(layout.embedding.count, from: parameters + layout.embedding.offset))
        embedded = take(B * E)
        // Shared: layers step in turn.
        let (inputGates, recurrentGates, scratch) = (take(B * G), take(B * G), take(B * H))
        let product = self.product
        layers = (0..<L).map { k in
            let slots = layout.recurrentSlots(layer: k)
            let extraCount = slots.extra.reduce(0) { $0 + $1.count }
            let extra = slots.extra.first.map { UnsafePointer(take(extraCount, from: parameters + $0.offset)) }
            let weightIH = nextMatrix.next()!, weightHH = nextMatrix.next()!
            return HalfPrecisionLayer(inputWidth: config.inputSize(ofLayer: k), hidden: H, weightIH: weightIH,
                                      weightHH: weightHH, candidateWeightHH: splitsCandidate ? nextMatrix.next()! : nil,
                                      biasIH: UnsafePointer(take(G, from: parameters + slots.biasIH.offset)),
                                      biasHH: UnsafePointer(take(G, from: parameters + slots.biasHH.offset)),
                                      extra: extra, h: take(B * H), c: take(B * H), inputGates: inputGates,
                                      recurrentGates: recurrentGates, scratch: scratch, product: product)
        }
        decoderWeight = nextMatrix.next()!
        decoderBias = UnsafePointer(take(V, from: parameters + layout.decoderBias.offset))
        allLogits = take(B * V)
        logits = UnsafeMutableBufferPointer(start: allLogits, count: V)
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

    /// Whether the large products are split with a partner thread (`threads` 2).
    var splitsProducts: Bool { split != nil }

    deinit {
        halves.deallocate()
        floats.deallocate()
        inputIDs.deallocate()
        split?.stop()
    }

    /// Every row back to the zero state.
    func reset() {
        let count = rowCapacity * config.hiddenSize
        for layer in layers {
            layer.h.update(repeating: 0, count: count)
            layer.c.update(repeating: 0, count: count)
        }
    }

    /// Row 0's hidden state of every layer, then its cell state (zero for the GRU), as (L, 1, H) each.
    var state: (h: [Float], c: [Float]) {
        let H = config.hiddenSize
        return (layers.flatMap { Array(UnsafeBufferPointer(start: $0.h, count: H)) },
                layers.flatMap { Array(UnsafeBufferPointer(start: $0.c, count: H)) })
    }

    /// Sets row 0's state and logits, as `state` and `logits` gave them.
    func restore(h: [Float], c: [Float], logits saved: [Float]) {
        h.withUnsafeBufferPointer { h in c.withUnsafeBufferPointer { c in loadState(row: 0, h: h, c: c) } }
        _ = logits.update(fromContentsOf: saved)
    }

    /// Advances row 0 by character `id` and leaves the next character's logits in `logits`.
    func feed(_ id: Int32) {
        setInput(id, row: 0)
        step(rows: 1)
    }
}

/// The serving batcher's view: the streams' inputs and states go in and out by row.
extension HalfPrecisionStep: BatchedStep {
    func setInput(_ id: Int32, row: Int) {
        inputIDs[row] = id
    }

    func loadState(row: Int, h: UnsafeBufferPointer<Float>, c: UnsafeBufferPointer<Float>) {
        let H = config.hiddenSize
        for (k, layer) in layers.enumerated() {
            (layer.h + row * H).update(from: h.baseAddress! + k * H, count: H)
            (layer.c + row * H).update(from: c.baseAddress! + k * H, count: H)
        }
    }

    func storeState(row: Int, h: UnsafeMutableBufferPointer<Float>, c: UnsafeMutableBufferPointer<Float>) {
        let H = config.hiddenSize
        for (k, layer) in layers.enumerated() {
            (h.baseAddress! + k * H).update(from: layer.h + row * H, count: H)
            (c.baseAddress! + k * H).update(from: layer.c + row * H, count: H)
        }
    }

    /// Advances rows 0..<rows by their inputs and leaves each row's logits.
    func step(rows: Int) {
        let (H, E, V) = (config.hiddenSize, config.embeddingSize, config.vocabularySize)
        for b in 0..<rows { (embedded + b * E).update(from: embedding + Int(inputIDs[b]) * E, count: E) }
        var (x, stride) = (UnsafePointer(embedded), E)
        for layer in layers {
            config.cell.stepHalfPrecision(layer, variant: config.gruVariant, rows: rows, input: x, inputStride: stride)
            (x, stride) = (UnsafePointer(layer.h), H)
        }
        for b in 0..<rows { (allLogits + b * V).update(from: decoderBias, count: V) }
        product(decoderWeight, V, H, x, H, rows, allLogits, V)
    }

    func logits(row: Int) -> UnsafeBufferPointer<Float> {
        let V = config.vocabularySize
        return UnsafeBufferPointer(start: allLogits + row * V, count: V)
    }
}
