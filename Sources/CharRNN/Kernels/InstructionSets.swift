import CCPUFeatures
import CKernels

/// The one place charnn reads the CPU (cpuid and xgetbv, once per process) and chooses, for each
/// family of its kernels, the instruction set that runs: OpenBLAS's core (`BLASCoreChoice`), the
/// recurrent kernels (`RecurrentKernels`), the half-precision GEMV (`HalfPrecisionStep`) and the FMA
/// peak loop (`FMAPeak`). Every choice is a function of `cpu`, so a test can ask about any CPU.
///
/// A feature counts only when the OS saves its registers (XCR0): the CPU has it, but a program that
/// uses it faults at the first context switch.
public struct InstructionSets: Sendable {
    /// This CPU under this OS.
    public static let current = InstructionSets(cpu: .read())

    public let cpu: CPUFeatures

    public init(cpu: CPUFeatures) { self.cpu = cpu }

    // MARK: - Recurrent kernels

    /// Why this CPU cannot run `path`, to follow "CHARNN_KERNELS=…:" or to end in ": the … path
    /// cannot run here"; nil when it can.
    public func reasonCannotRun(_ path: RecurrentKernelPath) -> String? {
        switch path {
        case .generic:
            return nil
        case .avx2:
            guard cpu.avx2, cpu.fma, cpu.osSavesYMM else { return "this CPU has no AVX2 and FMA" }
        case .avx512:
            guard cpu.avx512f, cpu.osSavesZMM else { return "this CPU has no AVX-512F/OS ZMM support" }
            guard cpu.avx512dq, cpu.avx512vl, cpu.avx512bw, cpu.fma else {
                return "this CPU has no AVX-512 DQ, VL and BW with FMA"
            }
        }
        guard Self.recurrentKernels(path) != nil else { return "charnn was built without the \(path) kernels" }
        return nil
    }

    public func canRun(_ path: RecurrentKernelPath) -> Bool { reasonCannotRun(path) == nil }

    /// The path a process runs unless `CHARNN_KERNELS` says otherwise: the widest that runs.
    ///
    /// AVX-512 is not slower than AVX2 where measured, a Zen 4 (EPYC, 2 threads, alternating runs,
    /// `charnn bench`, median_step_ms): S (2 × 128, batch 50, seq 50) AVX2 41.44 / 41.41 / 42.57,
    /// AVX-512 39.00 / 38.35 / 38.64; L (3 × 512, batch 64, seq 100) AVX2 2155.59 / 2153.76 / 2222.10,
    /// AVX-512 2152.02 / 2103.16 / 2162.20. Zen 4 runs a 512-bit FMA as two 256-bit halves; the gain
    /// is fewer loads and broadcasts per FMA and twice the registers for the tile. Not measured on a
    /// CPU that lowers its clock for 512-bit code (Intel's Skylake-SP and Cascade Lake).
    public var recurrentPath: RecurrentKernelPath {
        canRun(.avx512) ? .avx512 : canRun(.avx2) ? .avx2 : .generic
    }

    /// The C kernels of a packed path (nil for `generic`, and off x86-64). Whether the CPU runs them
    /// is `canRun`'s question.
    static func recurrentKernels(_ path: RecurrentKernelPath) -> UnsafePointer<ckernels_recurrent_table>? {
        switch path {
        case .generic: nil
        case .avx2: ckernels_recurrent_kernels(CKERNELS_RECURRENT_AVX2)
        case .avx512: ckernels_recurrent_kernels(CKERNELS_RECURRENT_AVX512)
        }
    }

    // MARK: - Half-precision GEMV

    /// Whether the F16C kernel runs: AVX2, FMA and F16C, with the OS saving YMM.
    var hasF16C: Bool { cpu.avx2 && cpu.fma && cpu.f16c && cpu.osSavesYMM }

    /// Y += W X for a batch of streams with W in IEEE half precision (`ckernels_gemm_f16_*`), for the
    /// recurrent path `path` (what `CHARNN_KERNELS` chose, or this CPU's widest): 16 lanes on the
    /// AVX-512 path, the F16C kernel on the AVX2 path where F16C runs, the portable one otherwise
    /// (and on the generic path).
    func halfGEMM(path: RecurrentKernelPath) -> HalfGEMM {
        switch path {
        case .avx512 where canRun(.avx512): ckernels_gemm_f16_avx512
        case .avx512, .avx2: hasF16C ? ckernels_gemm_f16_f16c : ckernels_gemm_f16_portable
        case .generic: ckernels_gemm_f16_portable
        }
    }

    // MARK: - FMA peak

    /// The widest FMA loop this CPU runs: AVX-512, AVX2 + FMA, or SSE (multiply and add) otherwise.
    var peakLevel: InstructionSetLevel { cpu.level ?? .sse }

    /// The FMA loop of `level` (AVX without FMA runs the SSE loop). Call only for a level ≤ `peakLevel`.
    static func fmaLoop(_ level: InstructionSetLevel)
        -> @convention(c) (Int64, UnsafeMutablePointer<Float>?) -> Double {
        switch level {
        case .avx512: ckernels_fma_loop_avx512
        case .avx2: ckernels_fma_loop_avx2
        case .avx, .sse: ckernels_fma_loop_sse
        }
    }
}

extension CPUFeatures {
    /// This CPU's features from cpuid and xgetbv: read by `InstructionSets.current` alone.
    fileprivate static func read() -> CPUFeatures {
        let raw = ccpu_read_features()
        var cpu = CPUFeatures(isX86: raw.is_x86)
        (cpu.avx, cpu.fma, cpu.avx2, cpu.f16c) = (raw.avx, raw.fma, raw.avx2, raw.f16c)
        (cpu.avx512f, cpu.avx512bw, cpu.avx512vl) = (raw.avx512f, raw.avx512bw, raw.avx512vl)
        (cpu.avx512dq, cpu.avx512cd, cpu.avx512bf16) = (raw.avx512dq, raw.avx512cd, raw.avx512_bf16)
        (cpu.osSavesYMM, cpu.osSavesZMM) = (raw.os_saves_ymm, raw.os_saves_zmm)
        return cpu
    }
}

/// Y += W X for a batch of streams, W (rows, cols) stored as IEEE half precision
/// (`ckernels_gemm_f16_*`): (W, rows, cols, X, ldx, batch, Y, ldy).
typealias HalfGEMM = @convention(c) (UnsafePointer<UInt16>?, Int64, Int64, UnsafePointer<Float>?, Int64, Int64,
                                     UnsafeMutablePointer<Float>?, Int64) -> Void
