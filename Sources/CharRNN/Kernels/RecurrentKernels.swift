import CKernels
import Foundation
import Synchronization

/// Which code runs the per-step recurrent products of Float windows.
public enum RecurrentKernelPath: String, Sendable, CaseIterable {
    /// Swift loops around OpenBLAS `sgemm`: every CPU, every scalar type, and the reference the
    /// packed paths are tested against.
    case generic
    /// charnn's packed kernels (`CKernels/RecurrentKernelsBody.h`) on AVX2 + FMA, 8 lanes: weight_hh
    /// packed once per window instead of by every step's `sgemm`; every LSTM and GRU step (both
    /// variants) fused, the gate nonlinearities and the state update applied while the step's tile
    /// is still in registers; backward's pointwise steps vectorised and its dh_{t−1} products packed.
    case avx2
    /// The same kernels on AVX-512 (F, DQ, VL, BW) + FMA, 16 lanes and 32 vector registers: the
    /// default where it runs (`InstructionSets.recurrentPath` has the figures).
    case avx512
}

/// The process-wide choice of `RecurrentKernelPath`: `InstructionSets.current.recurrentPath`, unless
/// `CHARNN_KERNELS` names another (tests switch it to compare the paths on one machine).
public enum RecurrentKernels {
    public static let environmentVariable = "CHARNN_KERNELS"

    /// The chosen path's index in `RecurrentKernelPath.allCases`.
    private static let chosen = Atomic<Int>(RecurrentKernelPath.allCases.firstIndex(of: best)!)

    /// Every path's kernel table, in `allCases` order, looked up once: pointers to constant C data.
    private nonisolated(unsafe) static let tables = RecurrentKernelPath.allCases.map(InstructionSets.recurrentKernels)

    /// The path layers built from now on use.
    public static var path: RecurrentKernelPath {
        get { RecurrentKernelPath.allCases[chosen.load(ordering: .relaxed)] }
        set { chosen.store(RecurrentKernelPath.allCases.firstIndex(of: newValue)!, ordering: .relaxed) }
    }

    /// The fastest path this CPU runs (cpuid read once, by `InstructionSets.current`).
    public static let best: RecurrentKernelPath = InstructionSets.current.recurrentPath

    /// The chosen path's kernels; nil on the generic path.
    static var kernels: UnsafePointer<ckernels_recurrent_table>? { tables[chosen.load(ordering: .relaxed)] }

    /// Applies `CHARNN_KERNELS` when set; a name that is not a path, or a path this CPU cannot run,
    /// is a one-line error that says what to set instead.
    public static func applyEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                        instructionSets: InstructionSets = .current) throws {
        guard let value = environment[environmentVariable], !value.isEmpty else { return }
        guard let requested = RecurrentKernelPath(rawValue: value.lowercased()) else {
            let names = RecurrentKernelPath.allCases.map(\.rawValue).joined(separator: ", ")
            throw KernelChoiceError("\(environmentVariable)=\(value): not a kernel path; use one of \(names), or unset it")
        }
        if let reason = instructionSets.reasonCannotRun(requested) {
            let runnable = RecurrentKernelPath.allCases.filter(instructionSets.canRun).map(\.rawValue)
            let use = runnable.joined(separator: ", ")
            throw KernelChoiceError("\(environmentVariable)=\(value): \(reason); use \(use), or unset it")
        }
        path = requested
    }
}

public struct KernelChoiceError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Where a layer's packed weight_hh lives during its passes: memory the network does not use at that
/// time (`UnrolledNetwork` chooses it), so the panels cost no memory of their own in training.
struct PanelPlacement<Scalar: BLASScalar> {
    /// Space for weight_hh's panels while the layer runs forward.
    let forward: UnsafeMutablePointer<Scalar>
    /// Space for weight_hhᵀ's panels during the layer's backward steps, until it writes its input gradient.
    let backward: UnsafeMutablePointer<Scalar>
    /// The forward panels are the layer's own and were packed when the network was made, for weights
    /// that do not change while it lives (serving): forward does not pack them again.
    var packedOnce = false
    /// With `packedOnce`, a layer reading rows (k ≥ 1) has weight_ih packed once too
    /// (`PackedRecurrentKernels.packRows`), so its input projection does not repack it every step.
    var inputWeights: PackedRows<Scalar>?
}

/// A (blocks·H, depth) matrix packed by `PackedRecurrentKernels.packRows`.
struct PackedRows<Scalar: BLASScalar> {
    let panels: UnsafeMutablePointer<Scalar>
    let hidden: Int
    let depth: Int
}

/// The packed kernels as the generic layers call them, through the chosen path's table. A layer asks
/// `isUsed` once, when it is built: true only for Float, so the pointer casts below reinterpret Float
/// memory as Float. Panels hold exactly the values they pack (no padding): gates·H·H for weight_hh.
enum PackedRecurrentKernels<Scalar: BLASScalar> {
    /// H must be a multiple of this on every packed path: AVX2 splits backward's H output columns in
    /// two groups of 8-lane panels, and AVX-512's panels are 16 lanes wide.
    static var hiddenMultiple: Int { 16 }

    /// Whether a layer of this scalar type and shape runs the packed kernels: Float on a packed path,
    /// H a multiple of `hiddenMultiple` and of the path's lanes, and windows of at least 8 steps, over
    /// which one packing of weight_hh pays for itself (`.max` for weights packed once, for good).
    static func isUsed(hidden H: Int, steps T: Int) -> Bool {
        guard Scalar.self == Float.self, let kernels = RecurrentKernels.kernels else { return false }
        return H % hiddenMultiple == 0 && H % Int(kernels.pointee.lanes) == 0 && T >= 8
    }

    /// Packs weight_hh (gates·H, H) as the forward steps read it: the first `interleavedBlocks` gate
    /// blocks interleaved, every block's rows of the same `lanes` units in one panel, so one register
    /// tile holds all of a unit's gates; then each of the next `separateBlocks` blocks in panels of its
    /// own, at interleavedBlocks·H·H. LSTM (4, 0); GRU reset-after (3, 0); reset-before (2, 1): W_hn
    /// multiplies r ⊙ h_{t−1}, known only once the gates are done.
    static func packForward(_ weightHH: UnsafePointer<Scalar>, interleavedBlocks: Int, separateBlocks: Int,
                            hidden H: Int, into panels: UnsafeMutablePointer<Scalar>) {
        precondition((1...4).contains(interleavedBlocks) && separateBlocks >= 0,
                     "packForward: \(interleavedBlocks) interleaved blocks (1…4), \(separateBlocks) separate")
        pack(weightHH, rowStride: H, columnStride: 1, groups: interleavedBlocks, groupRows: H, depth: H, into: panels)
        for block in interleavedBlocks..<(interleavedBlocks + separateBlocks) {
            pack(weightHH + block * H * H, rowStride: H, columnStride: 1, groups: 1, groupRows: H, depth: H,
                 into: panels + block * H * H)
        }
    }

    /// c[r, 0..<blocks·H] (+)= a[r, 0..<H] · Wᵀ for the first `rows` rows, W (blocks·H, H) packed by
    /// `packForward(interleavedBlocks: blocks, separateBlocks: 0)`: c's column b·H + j is block b's unit j.
    @inline(__always)
    static func forwardProduct(_ a: UnsafePointer<Scalar>, rows: Int, hidden H: Int, lda: Int,
                               panels: UnsafePointer<Scalar>, blocks: Int, into c: UnsafeMutablePointer<Scalar>,
                               ldc: Int, accumulate: Bool) {
        product(a, rows: rows, depth: H, lda: lda, panels: panels, groups: blocks, groupRows: H, into: c, ldc: ldc,
                accumulate: accumulate)
    }

    /// The most blocks, of 4, 2 or 1, that split `rows` rows into whole panels: the layout for
    /// `packRows` of a matrix that is only multiplied (4 blocks take the widest tile); nil when none does.
    static func rowsBlocks(rows: Int) -> Int? {
        let lanes = Int(kernels.lanes)
        return [4, 2, 1].first { rows % ($0 * lanes) == 0 }
    }

    /// Packs W (blocks·H, depth), row-major, for `rowsProduct`: weight_ih of a layer reading rows.
    static func packRows(_ w: UnsafePointer<Scalar>, into packed: PackedRows<Scalar>, blocks: Int) {
        pack(w, rowStride: packed.depth, columnStride: 1, groups: blocks, groupRows: packed.hidden, depth: packed.depth,
             into: packed.panels)
    }

    /// c[r, b·H + j] (+)= Σ_k a[r, k] · W[b·H + j, k] for the first `rows` rows, W packed by `packRows`;
    /// only the units j in `units` (whole panels) when given.
    @inline(__always)
    static func rowsProduct(_ a: UnsafePointer<Scalar>, rows: Int, lda: Int, packed: PackedRows<Scalar>, blocks: Int,
                            into c: UnsafeMutablePointer<Scalar>, ldc: Int, accumulate: Bool, units: Range<Int>? = nil) {
        product(a, rows: rows, depth: packed.depth, lda: lda, panels: packed.panels, groups: blocks,
                groupRows: packed.hidden, into: c, ldc: ldc, accumulate: accumulate,
                units: units ?? 0..<packed.hidden)
    }

    /// Packs Wᵀ for `backwardProduct`, W the (depth, H) row-major block at `weightHH` (`depth` rows of
    /// weight_hh).
    static func packBackward(_ weightHH: UnsafePointer<Scalar>, hidden H: Int, depth: Int,
                             into panels: UnsafeMutablePointer<Scalar>) {
        let groups = backwardGroups(hidden: H)
        pack(weightHH, rowStride: 1, columnStride: H, groups: groups, groupRows: H / groups, depth: depth, into: panels)
    }

    /// c[r, 0..<H] (+)= a[r, 0..<depth] · W for the first `rows` rows, W (depth, H) packed by `packBackward`.
    @inline(__always)
    static func backwardProduct(_ a: UnsafePointer<Scalar>, rows: Int, depth: Int, lda: Int,
                                panels: UnsafePointer<Scalar>, hidden H: Int, into c: UnsafeMutablePointer<Scalar>,
                                ldc: Int, accumulate: Bool) {
        let groups = backwardGroups(hidden: H)
        product(a, rows: rows, depth: depth, lda: lda, panels: panels, groups: groups, groupRows: H / groups, into: c,
                ldc: ldc, accumulate: accumulate)
    }

    /// One fused LSTM step (`lstm_step` in `ckernels_recurrent_table`) for the units in `units`.
    @inline(__always)
    static func lstmStep(gates: UnsafeMutablePointer<Scalar>, rows: Int, hidden: Int, hPrev: UnsafePointer<Scalar>,
                         panels: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>,
                         cNext: UnsafeMutablePointer<Scalar>, hNext: UnsafeMutablePointer<Scalar>, units: Range<Int>) {
        kernels.lstm_step!(floats(gates), Int64(rows), Int64(hidden), floats(hPrev), floats(panels), floats(cPrev),
                          floats(cNext), floats(hNext), Int64(units.lowerBound), Int64(units.count))
    }

    /// c_next = f ⊙ c_prev + i ⊙ g from a step's activated gates, as `lstmStep` computed it (`lstm_cells`).
    static func lstmCells(gates: UnsafePointer<Scalar>, rows: Int, hidden: Int, cPrev: UnsafePointer<Scalar>,
                          cNext: UnsafeMutablePointer<Scalar>) {
        kernels.lstm_cells!(floats(gates), Int64(rows), Int64(hidden), floats(cPrev), floats(cNext))
    }

    /// The pointwise part of one LSTM backward step (`lstm_backward_step`).
    @inline(__always)
    static func lstmBackwardStep(gates: UnsafeMutablePointer<Scalar>, rows: Int, hidden: Int, cPrev: UnsafePointer<Scalar>,
                                 cNext: UnsafePointer<Scalar>, dOutput: UnsafePointer<Scalar>,
                                 dhCarry: UnsafePointer<Scalar>, dcCarry: UnsafeMutablePointer<Scalar>) {
        kernels.lstm_backward_step!(floats(gates), Int64(rows), Int64(hidden), floats(cPrev), floats(cNext),
                                   floats(dOutput), floats(dhCarry), floats(dcCarry))
    }

    /// One fused GRU reset-after step (`gru_reset_after_step`) for the units in `units`.
    @inline(__always)
    static func gruResetAfterStep(gates: UnsafeMutablePointer<Scalar>, rows: Int, hidden: Int,
                                  hPrev: UnsafePointer<Scalar>, panels: UnsafePointer<Scalar>,
                                  biasHH: UnsafePointer<Scalar>, recurrentN: UnsafeMutablePointer<Scalar>,
                                  hNext: UnsafeMutablePointer<Scalar>, units: Range<Int>) {
        kernels.gru_reset_after_step!(floats(gates), Int64(rows), Int64(hidden), floats(hPrev), floats(panels),
                                     floats(biasHH), floats(recurrentN), floats(hNext), Int64(units.lowerBound),
                                     Int64(units.count))
    }

    /// The first pass of a fused GRU reset-before step (`gru_reset_before_gates`): r, z and r ⊙ h_{t−1}
    /// for the units in `units`.
    @inline(__always)
    static func gruResetBeforeGates(gates: UnsafeMutablePointer<Scalar>, rows: Int, hidden: Int,
                                    hPrev: UnsafePointer<Scalar>, gatePanels: UnsafePointer<Scalar>,
                                    resetH: UnsafeMutablePointer<Scalar>, units: Range<Int>) {
        kernels.gru_reset_before_gates!(floats(gates), Int64(rows), Int64(hidden), floats(hPrev), floats(gatePanels),
                                       floats(resetH), Int64(units.lowerBound), Int64(units.count))
    }

    /// The second pass (`gru_reset_before_candidate`): n and h_t for the units in `units`, once every
    /// unit's r ⊙ h_{t−1} is in `resetH`.
    @inline(__always)
    static func gruResetBeforeCandidate(gates: UnsafeMutablePointer<Scalar>, rows: Int, hidden: Int,
                                        hPrev: UnsafePointer<Scalar>, candidatePanels: UnsafePointer<Scalar>,
                                        resetH: UnsafePointer<Scalar>, hNext: UnsafeMutablePointer<Scalar>,
                                        units: Range<Int>) {
        kernels.gru_reset_before_candidate!(floats(gates), Int64(rows), Int64(hidden), floats(hPrev),
                                           floats(candidatePanels), floats(resetH), floats(hNext),
                                           Int64(units.lowerBound), Int64(units.count))
    }

    /// The pointwise part of one GRU backward step (`gru_backward_step`); `dRecurrent` only for reset-after.
    @inline(__always)
    static func gruBackwardStep(resetAfter: Bool, gates: UnsafeMutablePointer<Scalar>,
                                dRecurrent: UnsafeMutablePointer<Scalar>?, rows: Int, hidden: Int,
                                hPrev: UnsafePointer<Scalar>, recurrentN: UnsafePointer<Scalar>,
                                dOutput: UnsafePointer<Scalar>, dhCarry: UnsafeMutablePointer<Scalar>) {
        kernels.gru_backward_step!(resetAfter ? 1 : 0, floats(gates), dRecurrent.map(floats), Int64(rows),
                                  Int64(hidden), floats(hPrev), floats(recurrentN), floats(dOutput), floats(dhCarry))
    }

    /// Reset-before's gradient through r ⊙ h_{t−1} (`gru_reset_gradient`).
    @inline(__always)
    static func gruResetGradient(gates: UnsafeMutablePointer<Scalar>, rows: Int, hidden: Int,
                                 hPrev: UnsafePointer<Scalar>, dResetH: UnsafePointer<Scalar>,
                                 dhCarry: UnsafeMutablePointer<Scalar>, throughReset: Bool) {
        kernels.gru_reset_gradient!(floats(gates), Int64(rows), Int64(hidden), floats(hPrev), floats(dResetH),
                                   floats(dhCarry), throughReset ? 1 : 0)
    }

    // MARK: - Implementation details

    /// The chosen path's table (its functions are never NULL); a packed layer runs only on a packed path.
    @inline(__always)
    private static var kernels: ckernels_recurrent_table {
        guard let kernels = RecurrentKernels.kernels else {
            preconditionFailure("packed recurrent kernels called on the \(RecurrentKernels.path) path")
        }
        return kernels.pointee
    }

    /// Backward's products yield H columns: two groups of H/2 where H/2 is a whole number of panels
    /// (two panel vectors per broadcast; always so on AVX2), else one.
    @inline(__always)
    private static func backwardGroups(hidden H: Int) -> Int {
        (H / 2) % Int(kernels.lanes) == 0 ? 2 : 1
    }

    /// Packs W (rows × depth, element (row, k) at source[row·rowStride + k·columnStride]) into the
    /// panels of `groups` groups of `groupRows` rows, `lanes` wide (`ckernels_pack_panels`).
    private static func pack(_ source: UnsafePointer<Scalar>, rowStride: Int, columnStride: Int, groups: Int,
                             groupRows: Int, depth: Int, into panels: UnsafeMutablePointer<Scalar>) {
        let kernels = self.kernels
        assert(groupRows % Int(kernels.lanes) == 0, "\(groupRows) rows per group: not a whole number of panels")
        kernels.pack_panels!(floats(source), Int64(rowStride), Int64(columnStride), kernels.lanes, Int64(groups),
                            Int64(groupRows), Int64(depth), floats(panels))
    }

    /// c[r, g·groupRows + j] (+)= Σ_k a[r, k] · W[g·groupRows + j, k] for the first `rows` rows and the
    /// j in `units` (every j when nil).
    @inline(__always)
    private static func product(_ a: UnsafePointer<Scalar>, rows: Int, depth: Int, lda: Int,
                                panels: UnsafePointer<Scalar>, groups: Int, groupRows: Int,
                                into c: UnsafeMutablePointer<Scalar>, ldc: Int, accumulate: Bool,
                                units: Range<Int>? = nil) {
        let units = units ?? 0..<groupRows
        kernels.packed_product!(floats(a), Int64(rows), Int64(depth), Int64(lda), floats(panels), Int64(groups),
                               Int64(groupRows), floats(c), Int64(ldc), accumulate ? 1 : 0, Int64(units.lowerBound),
                               Int64(units.count))
    }

    @inline(__always)
    private static func floats(_ pointer: UnsafePointer<Scalar>) -> UnsafePointer<Float> {
        UnsafeRawPointer(pointer).assumingMemoryBound(to: Float.self)
    }

    @inline(__always)
    private static func floats(_ pointer: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: Float.self)
    }
}
