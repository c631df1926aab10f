/// What a recurrent layer's input projection reads: rows of activations, or, for the first layer,
/// the window's token ids, whose rows are rows of the embedding table.
enum LayerInput<Scalar: BLASScalar> {
    /// x, (T, B, D).
    case rows(UnsafePointer<Scalar>)
    /// x_r = E[id_r]: the rows are never gathered (see `InputProjection`).
    case tokens(TokenInput<Scalar>)
}

/// The first layer's input as ids into the embedding table E (V, D).
struct TokenInput<Scalar: BLASScalar> {
    /// The window's ids, (T, B).
    let ids: UnsafePointer<Int32>
    let embedding: UnsafePointer<Scalar>
    /// Where ∂loss/∂E accumulates; nil in forward-only networks.
    let dEmbedding: UnsafeMutablePointer<Scalar>?
    let vocabulary: Int
    /// Read the window backwards in time (the reverse direction of a bidirectional layer).
    let reversed: Bool

    /// The same ids read in the opposite direction of time.
    func reversedInTime() -> TokenInput {
        TokenInput(ids: ids, embedding: embedding, dEmbedding: dEmbedding, vocabulary: vocabulary, reversed: !reversed)
    }

    /// The id at row r = t·B + b of the layer's (T, B) window.
    @inline(__always)
    func id(row r: Int, batch B: Int, steps T: Int) -> Int {
        Int(ids[reversed ? (T - 1 - r / B) * B + r % B : r])
    }
}

/// A token-input layer's table of projected embedding rows (`InputProjection`): its vocabulary, and
/// whether it is built once (`fixed`: the network's weights do not change while it lives, as in the
/// serving batcher, so every step is one copy per row) or at every window.
struct TokenTable {
    let vocabulary: Int
    let fixed: Bool
}

/// A layer's input projection, Z += X · W_ihᵀ over the window's T·B rows, and its gradients
/// dW_ih += dZᵀ X and dX = dZ · W_ih.
///
/// For token input X's rows are embedding rows, so X · W_ihᵀ takes row id_r of the table
/// P = E · W_ihᵀ (V, G): one (V × D × G) product per window instead of (T·B × D × G), V being
/// the vocabulary (65 for tinyshakespeare) and T·B thousands; the biases go into P too. Backward sums dZ's rows by id into
/// Δ (V, G) — Σ_r onehot(id_r) ⊗ dZ_r — and then dW_ih += Δᵀ E and dE += Δ · W_ih, again V rows
/// instead of T·B. `table` (V·G scalars) holds P in forward and Δ in backward; a fixed table holds
/// P from the first forward pass on.
struct InputProjection<Scalar: BLASScalar> {
    let D: Int, G: Int, B: Int, T: Int
    let table: UnsafeMutablePointer<Scalar>?
    /// For a table built once, one scalar of the arena: 0 until the first forward pass has built it,
    /// then 1 (a flag in the network's own memory: no reference to count at every step).
    let fixedTableBuilt: UnsafeMutablePointer<Scalar>?
    /// weight_ih packed once, for rows (fixed weights on a packed path); nil: OpenBLAS's sgemm.
    let packedWeights: PackedRows<Scalar>?

    init(D: Int, G: Int, B: Int, T: Int, tokens: TokenTable?, packedWeights: PackedRows<Scalar>? = nil,
         arena: Arena<Scalar>) {
        (self.D, self.G, self.B, self.T) = (D, G, B, T)
        table = tokens.map { arena.slice($0.vocabulary * G).baseAddress! }
        fixedTableBuilt = tokens?.fixed == true ? arena.slice(1).baseAddress! : nil  // zero, as the arena is
        self.packedWeights = packedWeights
    }

    /// Sets every row of `preactivations` (T·B, G) to bias + otherBias + W_ih x_r. For tokens the
    /// biases go into the table, so each row is one copy.
    func forward(_ input: LayerInput<Scalar>, weightIH: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>,
                 plus otherBias: UnsafePointer<Scalar>?, into preactivations: UnsafeMutablePointer<Scalar>) {
        switch input {
        case .rows(let x):
            broadcastRows(bias, plus: otherBias, rows: T * B, columns: G, into: preactivations)
            if let packedWeights {
                PackedRecurrentKernels.rowsProduct(x, rows: T * B, lda: D, packed: packedWeights,
                                                   blocks: G / packedWeights.hidden, into: preactivations, ldc: G,
                                                   accumulate: true)
            } else {
                Scalar.gemm(transA: false, transB: true, m: T * B, n: G, k: D, alpha: 1, a: x, lda: D,
                            b: weightIH, ldb: D, beta: 1, c: preactivations, ldc: G)
            }
        case .tokens(let tokens):
            let table = self.table!
            if fixedTableBuilt?.pointee != 1 {
                broadcastRows(bias, plus: otherBias, rows: tokens.vocabulary, columns: G, into: table)
                Scalar.gemm(transA: false, transB: true, m: tokens.vocabulary, n: G, k: D, alpha: 1,
                            a: tokens.embedding, lda: D, b: weightIH, ldb: D, beta: 1, c: table, ldc: G)
                fixedTableBuilt?.pointee = 1
            }
            for r in 0..<(T * B) {
                (preactivations + r * G).update(from: table + tokens.id(row: r, batch: B, steps: T) * G, count: G)
            }
        }
    }

    /// `forward` for the units in `units` only: columns b·H + j, j ∈ units, of each of the G/H gate
    /// blocks, to the same values `forward` gives them. For the parts of a step split between threads
    /// (`StepPartner`): a fixed table already built, or weight_ih packed once.
    func forward(_ input: LayerInput<Scalar>, bias: UnsafePointer<Scalar>, plus otherBias: UnsafePointer<Scalar>?,
                 into preactivations: UnsafeMutablePointer<Scalar>, hidden H: Int, units: Range<Int>) {
        let blocks = G / H, (first, count) = (units.lowerBound, units.count)
        switch input {
        case .rows(let x):
            guard let packedWeights else { preconditionFailure("a split step needs weight_ih packed") }
            for r in 0..<(T * B) {
                for block in 0..<blocks {
                    let column = block * H + first, row = preactivations + r * G + column
                    broadcastRows(bias + column, plus: otherBias.map { $0 + column }, rows: 1, columns: count, into: row)
                }
            }
            PackedRecurrentKernels.rowsProduct(x, rows: T * B, lda: D, packed: packedWeights, blocks: blocks,
                                               into: preactivations, ldc: G, accumulate: true, units: units)
        case .tokens(let tokens):
            precondition(fixedTableBuilt?.pointee == 1, "a split step reads a fixed table already built")
            let table = self.table!
            for r in 0..<(T * B) {
                let source = table + tokens.id(row: r, batch: B, steps: T) * G, target = preactivations + r * G
                for block in 0..<blocks {
                    (target + block * H + first).update(from: source + block * H + first, count: count)
                }
            }
        }
    }

    /// Whether a part of the units can be projected (`forward(…, units:)`): a fixed table, or
    /// weight_ih packed once.
    var packsOrTables: Bool { fixedTableBuilt != nil || packedWeights != nil }

    /// Whether `forward` has a fixed table still to build (its first pass, which no split step may run).
    var buildsFixedTable: Bool { fixedTableBuilt.map { $0.pointee != 1 } ?? false }

    /// Accumulates dW_ih from `dPreactivations` (T·B, G) and the input's gradient: into `dx`
    /// (T, B, D; overwritten) for rows, when `dx` is given; into the embedding's gradient for tokens.
    func backward(_ input: LayerInput<Scalar>, dPreactivations dZ: UnsafePointer<Scalar>,
                  weightIH: UnsafePointer<Scalar>, dWeightIH: UnsafeMutablePointer<Scalar>,
                  dx: UnsafeMutablePointer<Scalar>?) {
        inputGradient(input, dPreactivations: dZ, weightIH: weightIH, dx: dx)
        weightGradient(input, dPreactivations: dZ, weightIH: weightIH, dWeightIH: dWeightIH, share: .whole)
    }

    /// The part of `backward` that writes no weight gradient: dx for rows; for tokens Δ, which
    /// `weightGradient` reads.
    func inputGradient(_ input: LayerInput<Scalar>, dPreactivations dZ: UnsafePointer<Scalar>,
                       weightIH: UnsafePointer<Scalar>, dx: UnsafeMutablePointer<Scalar>?) {
        switch input {
        case .rows:
            if let dx {
                Scalar.gemm(transA: false, transB: false, m: T * B, n: D, k: G, alpha: 1, a: dZ, lda: G,
                            b: weightIH, ldb: D, beta: 0, c: dx, ldc: D)
            }
        case .tokens(let tokens):
            let delta = self.table!
            delta.update(repeating: 0, count: tokens.vocabulary * G)
            for r in 0..<(T * B) {
                addRow(dZ + r * G, to: delta + tokens.id(row: r, batch: B, steps: T) * G)
            }
        }
    }

    /// The rest of `backward`, after `inputGradient`: `share`'s rows of dW_ih and, for tokens, of the
    /// embedding's gradient.
    func weightGradient(_ input: LayerInput<Scalar>, dPreactivations dZ: UnsafePointer<Scalar>,
                        weightIH: UnsafePointer<Scalar>, dWeightIH: UnsafeMutablePointer<Scalar>,
                        share: GradientShare) {
        let part = share.range(of: G)
        switch input {
        case .rows(let x):
            if !part.isEmpty {
                Scalar.gemm(transA: true, transB: false, m: part.count, n: D, k: T * B, alpha: 1,
                            a: dZ + part.lowerBound, lda: G, b: x, ldb: D, beta: 1,
                            c: dWeightIH + part.lowerBound * D, ldc: D)
            }
        case .tokens(let tokens):
            let delta = self.table!, V = tokens.vocabulary
            if !part.isEmpty {
                Scalar.gemm(transA: true, transB: false, m: part.count, n: D, k: V, alpha: 1,
                            a: delta + part.lowerBound, lda: G, b: tokens.embedding, ldb: D, beta: 1,
                            c: dWeightIH + part.lowerBound * D, ldc: D)
            }
            let symbols = share.range(of: V)
            if let dEmbedding = tokens.dEmbedding, !symbols.isEmpty {
                Scalar.gemm(transA: false, transB: false, m: symbols.count, n: D, k: G, alpha: 1,
                            a: delta + symbols.lowerBound * G, lda: G, b: weightIH, ldb: D, beta: 1,
                            c: dEmbedding + symbols.lowerBound * D, ldc: D)
            }
        }
    }

    @inline(__always)
    private func addRow(_ source: UnsafePointer<Scalar>, to target: UnsafeMutablePointer<Scalar>) {
        for j in 0..<G { target[j] += source[j] }
    }
}
