import CKernels
import Foundation
import Synchronization

/// Which code runs the per-step recurrent products of Float windows.
public enum RecurrentKernelPath: String, Sendable, CaseIterable {
    /// Swift loops around OpenBLAS `sgemm`: every CPU, every scalar type, and the reference the
    /// fast path is tested against.
    case generic
    /// charnn's AVX2 + FMA kernels (`CKernels/RecurrentKernels.c`): weight_hh packed once per window
    /// instead of by every step's `sgemm`, and the LSTM's gate nonlinearities and cell update applied
    /// while the step's tile is still in registers.
    case avx2
}

/// The process-wide choice of `RecurrentKernelPath`: the best this CPU runs, unless
/// `CHARNN_KERNELS` names another (tests switch it to compare the paths on one machine).
///
/// There is no AVX-512 path: the machines this was written on have none to test it on, and the
/// AVX2 kernels run on AVX-512 CPUs too.
public enum RecurrentKernels {
    public static let environmentVariable = "CHARNN_KERNELS"

    private static let chosen = Atomic<Int>(-1)

    /// The path layers built from now on use.
    public static var path: RecurrentKernelPath {
        get {
            let index = chosen.load(ordering: .relaxed)
            return index >= 0 ? RecurrentKernelPath.allCases[index] : best
        }
        set { chosen.store(RecurrentKernelPath.allCases.firstIndex(of: newValue)!, ordering: .relaxed) }
    }

    /// The fastest path this CPU can run (cpuid read once, by `InstructionSets.current`).
    public static let best: RecurrentKernelPath = InstructionSets.current.recurrentPath

    /// Applies `CHARNN_KERNELS` when set; a name that is not a path, or a path this CPU cannot run,
    /// is an error whose message says what to set instead.
    public static func applyEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let value = environment[environmentVariable], !value.isEmpty else { return }
        let names = RecurrentKernelPath.allCases.map(\.rawValue).joined(separator: ", ")
        guard let requested = RecurrentKernelPath(rawValue: value.lowercased()) else {
            throw KernelChoiceError("\(environmentVariable)=\(value): not a kernel path; use one of \(names), or unset it")
        }
        if requested == .avx2, best != .avx2 {
            throw KernelChoiceError("\(environmentVariable)=avx2: this CPU has no AVX2 and FMA; use generic, or unset it")
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
}

/// The packed kernels as the generic layers call them. A layer asks `isUsed` once, when it is built:
/// true only for Float, so the pointer casts below reinterpret Float memory as Float.
enum PackedRecurrentKernels<Scalar: BLASScalar> {
    /// Whether a layer of this scalar type and shape runs the packed kernels: Float on the AVX2 path,
    /// H a multiple of 16 (backward splits the H output columns in two groups of 8-lane panels), and
    /// windows of at least 8 steps, over which one packing of weight_hh pays for itself.
    static func isUsed(hidden H: Int, steps T: Int) -> Bool {
        Scalar.self == Float.self && RecurrentKernels.path == .avx2 && H % 16 == 0 && T >= 8
    }

    /// Packs W (rows × depth, element (row, k) at source[row·rowStride + k·columnStride]) into the
    /// panels of `groups` groups of `groupRows` rows (`ckernels_pack_panels`).
    @inline(__always)
    static func pack(_ source: UnsafePointer<Scalar>, rowStride: Int, columnStride: Int, groups: Int,
                     groupRows: Int, depth: Int, into panels: UnsafeMutablePointer<Scalar>) {
        ckernels_pack_panels(floats(source), Int64(rowStride), Int64(columnStride), Int64(groups),
                             Int64(groupRows), Int64(depth), floats(panels))
    }

    /// Packs weight_hh (gates·H, H) as the forward steps of `cell` read it: every gate block of the
    /// same 8 units in one panel, so one register tile holds all of a unit's gates (LSTM i, f, g, o;
    /// GRU reset-after r, z, n). Reset-before packs W_h[r,z] so, and W_hn on its own after them, at
    /// 2H·H: it multiplies r ⊙ h_{t−1}, known only once the gates are done.
    static func packForward(_ weightHH: UnsafePointer<Scalar>, cell: CellKind, gruVariant: GRUVariant? = nil,
                            hidden H: Int, into panels: UnsafeMutablePointer<Scalar>) {
        if cell == .gru && gruVariant == .resetBefore {
            pack(weightHH, rowStride: H, columnStride: 1, groups: 2, groupRows: H, depth: H, into: panels)
            pack(weightHH + 2 * H * H, rowStride: H, columnStride: 1, groups: 1, groupRows: H, depth: H,
                 into: panels + 2 * H * H)
        } else {
            pack(weightHH, rowStride: H, columnStride: 1, groups: cell.gateCount, groupRows: H, depth: H, into: panels)
        }
    }

    /// c[r, g·groupRows + j] (+)= Σ_k a[r, k] · W[g·groupRows + j, k] for the first `rows` rows.
    @inline(__always)
    static func product(_ a: UnsafePointer<Scalar>, rows: Int, depth: Int, lda: Int, panels: UnsafePointer<Scalar>,
                        groups: Int, groupRows: Int, into c: UnsafeMutablePointer<Scalar>, ldc: Int, accumulate: Bool) {
        ckernels_packed_product_avx2(floats(a), Int64(rows), Int64(depth), Int64(lda), floats(panels), Int64(groups),
                                     Int64(groupRows), floats(c), Int64(ldc), accumulate ? 1 : 0)
    }

    /// One fused LSTM step (`ckernels_lstm_step_avx2`).
    @inline(__always)
    static func lstmStep(gates: UnsafeMutablePointer<Scalar>, rows: Int, hidden: Int, hPrev: UnsafePointer<Scalar>,
                         panels: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>,
                         cNext: UnsafeMutablePointer<Scalar>, hNext: UnsafeMutablePointer<Scalar>) {
        ckernels_lstm_step_avx2(floats(gates), Int64(rows), Int64(hidden), floats(hPrev), floats(panels),
                                floats(cPrev), floats(cNext), floats(hNext))
    }

    /// The pointwise part of one LSTM backward step (`ckernels_lstm_backward_step_avx2`).
    @inline(__always)
    static func lstmBackwardStep(gates: UnsafeMutablePointer<Scalar>, rows: Int, hidden: Int, cPrev: UnsafePointer<Scalar>,
                                 cNext: UnsafePointer<Scalar>, dOutput: UnsafePointer<Scalar>,
                                 dhCarry: UnsafePointer<Scalar>, dcCarry: UnsafeMutablePointer<Scalar>) {
        ckernels_lstm_backward_step_avx2(floats(gates), Int64(rows), Int64(hidden), floats(cPrev), floats(cNext),
                                         floats(dOutput), floats(dhCarry), floats(dcCarry))
    }

    /// One fused GRU reset-after step (`ckernels_gru_reset_after_step_avx2`).
    @inline(__always)
    static func gruResetAfterStep(gates: UnsafeMutablePointer<Scalar>, rows: Int, hidden: Int,
                                  hPrev: UnsafePointer<Scalar>, panels: UnsafePointer<Scalar>,
                                  biasHH: UnsafePointer<Scalar>, recurrentN: UnsafeMutablePointer<Scalar>,
                                  hNext: UnsafeMutablePointer<Scalar>) {
        ckernels_gru_reset_after_step_avx2(floats(gates), Int64(rows), Int64(hidden), floats(hPrev), floats(panels),
                                           floats(biasHH), floats(recurrentN), floats(hNext))
    }

    /// One fused GRU reset-before step (`ckernels_gru_reset_before_step_avx2`).
    @inline(__always)
    static func gruResetBeforeStep(gates: UnsafeMutablePointer<Scalar>, rows: Int, hidden: Int,
                                   hPrev: UnsafePointer<Scalar>, gatePanels: UnsafePointer<Scalar>,
                                   candidatePanels: UnsafePointer<Scalar>, resetH: UnsafeMutablePointer<Scalar>,
                                   hNext: UnsafeMutablePointer<Scalar>) {
        ckernels_gru_reset_before_step_avx2(floats(gates), Int64(rows), Int64(hidden), floats(hPrev),
                                            floats(gatePanels), floats(candidatePanels), floats(resetH), floats(hNext))
    }

    /// The pointwise part of one GRU backward step (`ckernels_gru_backward_step_avx2`); `dRecurrent`
    /// only for reset-after.
    @inline(__always)
    static func gruBackwardStep(resetAfter: Bool, gates: UnsafeMutablePointer<Scalar>,
                                dRecurrent: UnsafeMutablePointer<Scalar>?, rows: Int, hidden: Int,
                                hPrev: UnsafePointer<Scalar>, recurrentN: UnsafePointer<Scalar>,
                                dOutput: UnsafePointer<Scalar>, dhCarry: UnsafeMutablePointer<Scalar>) {
        ckernels_gru_backward_step_avx2(resetAfter ? 1 : 0, floats(gates), dRecurrent.map(floats),
                                        Int64(rows), Int64(hidden), floats(hPrev), floats(recurrentN),
                                        floats(dOutput), floats(dhCarry))
    }

    /// Reset-before's gradient through r ⊙ h_{t−1} (`ckernels_gru_reset_gradient_avx2`).
    @inline(__always)
    static func gruResetGradient(gates: UnsafeMutablePointer<Scalar>, rows: Int, hidden: Int,
                                 hPrev: UnsafePointer<Scalar>, dResetH: UnsafePointer<Scalar>,
                                 dhCarry: UnsafeMutablePointer<Scalar>, throughReset: Bool) {
        ckernels_gru_reset_gradient_avx2(floats(gates), Int64(rows), Int64(hidden), floats(hPrev), floats(dResetH),
                                         floats(dhCarry), throughReset ? 1 : 0)
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
