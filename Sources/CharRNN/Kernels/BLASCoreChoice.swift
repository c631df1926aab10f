/// The widest vector instructions a CPU (with its operating system) can run, or that an OpenBLAS
/// core's kernels are written for. Ordered: a later level can run everything an earlier one can.
public enum InstructionSetLevel: Int, Comparable, Sendable, CaseIterable {
    /// SSE to SSE4.2 (every x86-64 CPU has SSE2): 128-bit vectors, no fused multiply-add.
    case sse
    /// AVX: 256-bit floating-point vectors, still no FMA (Sandy Bridge, AMD Bulldozer family).
    case avx
    /// AVX2 with FMA (Haswell onwards, AMD Zen): where OpenBLAS's fast sgemm kernels start.
    case avx2
    /// AVX-512 F, BW, VL, DQ and CD: the set OpenBLAS's SkylakeX kernels use.
    case avx512

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The name reported as `cpu_isa`.
    public var name: String {
        switch self {
        case .sse: "sse"
        case .avx: "avx"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }
}

/// A CPU's features as charnn reads them (cpuid and xgetbv, in the `CCPUFeatures` target), kept
/// as plain values so tests can describe any CPU, including ones this machine is not.
public struct CPUFeatures: Equatable, Sendable {
    /// False when the report comes from another architecture: then nothing else is known.
    public var isX86: Bool
    public var avx = false, fma = false, avx2 = false, f16c = false
    public var avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512cd = false
    public var avx512bf16 = false
    /// The OS saves the YMM registers across context switches; without it AVX code faults.
    public var osSavesYMM = false
    /// The OS saves the AVX-512 state (opmasks, upper ZMM halves); without it AVX-512 code faults.
    public var osSavesZMM = false

    public init(isX86: Bool) { self.isX86 = isX86 }

    /// The best level this CPU can run under this OS, or nil when it is not an x86 CPU. A feature
    /// the OS does not save the registers of counts as absent: the CPU has it, the program cannot use it.
    public var level: InstructionSetLevel? {
        guard isX86 else { return nil }
        guard avx, osSavesYMM else { return .sse }
        guard avx2, fma else { return .avx }
        guard avx512f, avx512bw, avx512vl, avx512dq, avx512cd, osSavesZMM else { return .avx2 }
        return .avx512
    }
}

/// Whether charnn should restart itself so that OpenBLAS uses other kernels, decided from the CPU's
/// features, the core OpenBLAS chose, and the environment: pure, so every case is a unit test.
///
/// Why it is needed: Debian's OpenBLAS 0.3.21 (a DYNAMIC_ARCH build) picks its kernels from a list
/// of CPU models, and on a model it does not know (a new Xeon with AVX-512, say) it falls back to
/// Prescott's SSE3 kernels, about 5× slower. charnn looks at what the CPU can do instead of what it
/// is called, and asks for the kernels of that level.
///
/// Only cores written for CPUs without AVX2 and FMA are replaced, and only on a CPU above their
/// level. An AVX-512 CPU on which OpenBLAS chose Haswell or Zen is left alone: those are OpenBLAS's
/// deliberate choices for CPUs it knows (Zen 4, for one), within a small factor of the AVX-512
/// kernels, while the fallback for an unknown CPU is always a pre-AVX2 core.
public enum BLASCoreChoice {
    /// The variable OpenBLAS reads, once, when it is loaded. A user's value always wins.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set, to the core chosen, when charnn re-executes itself: a process that finds it set never
    /// re-executes again, so there can be no loop, and its report can tell charnn's choice from a user's.
    public static let guardVariable = "CHARNN_REEXECUTED_WITH_CORETYPE"
    /// For tests only: makes charnn judge OpenBLAS's choice as if it had been this core (say
    /// "Prescott"), to exercise the re-execution on a CPU that OpenBLAS knows. The report still
    /// shows the core OpenBLAS really uses.
    public static let pretendCoreVariable = "CHARNN_TEST_PRETEND_OPENBLAS_CORE"

    public enum Action: Equatable, Sendable {
        /// Re-execute with `OPENBLAS_CORETYPE` set to this core (and the guard variable set).
        case reexecute(coreType: String)
        case leaveAlone(Reason)
    }

    public enum Reason: Equatable, Sendable {
        /// `OPENBLAS_CORETYPE` is set (non-empty) by the user.
        case userChoseCore
        /// This process is already the re-executed one.
        case alreadyReexecuted
        /// No x86 feature report (another architecture): nothing to compare with.
        case cpuFeaturesUnknown
        /// OpenBLAS was built for one core only (no DYNAMIC_ARCH) and would ignore the variable.
        case openBLASHasOneCore
        /// A core name charnn does not know the level of: better left than guessed.
        case unknownCore(String)
        /// The chosen kernels use AVX2 and FMA already, or are as good as the CPU allows.
        case kernelsFitCPU
    }

    /// The level each OpenBLAS x86 core (as `openblas_get_corename()` spells it, compared without
    /// case) is written for: the ISA of the CPU it is named after. Excavator has AVX2; Bulldozer,
    /// Piledriver and Steamroller stop at AVX (with FMA4 or FMA3, but no AVX2).
    static let coreLevels: [String: InstructionSetLevel] = [
        "katmai": .sse, "coppermine": .sse, "northwood": .sse, "prescott": .sse, "banias": .sse,
        "atom": .sse, "core2": .sse, "penryn": .sse, "dunnington": .sse, "nehalem": .sse,
        "athlon": .sse, "opteron": .sse, "opteron_sse3": .sse, "barcelona": .sse, "nano": .sse,
        "bobcat": .sse,
        "sandybridge": .avx, "bulldozer": .avx, "piledriver": .avx, "steamroller": .avx,
        "haswell": .avx2, "zen": .avx2, "excavator": .avx2,
        "skylakex": .avx512, "cooperlake": .avx512, "sapphirerapids": .avx512,
    ]

    /// The level of an OpenBLAS core's kernels, or nil for a name charnn does not know.
    public static func kernelLevel(ofCore name: String) -> InstructionSetLevel? {
        coreLevels[name.lowercased()]
    }

    /// The core to ask for on a CPU of `level`, spelled as OpenBLAS reports it. AVX-512 gets
    /// SkylakeX even with BF16: Debian's 0.3.21 answers `OPENBLAS_CORETYPE=Cooperlake` with
    /// "Core not found" and falls back to its own detection.
    public static func core(for level: InstructionSetLevel) -> String? {
        switch level {
        case .sse: nil
        case .avx: "Sandybridge"
        case .avx2: "Haswell"
        case .avx512: "SkylakeX"
        }
    }

    /// The core name to judge: OpenBLAS's, unless a test pretends otherwise.
    public static func coreToJudge(reported: String, environment: [String: String]) -> String {
        if let pretended = environment[pretendCoreVariable], !pretended.isEmpty { return pretended }
        return reported
    }

    /// What to do about OpenBLAS's kernels. `openBLASCore` is the core to judge (see `coreToJudge`);
    /// `openBLASSwitchesCores` whether the library reads `OPENBLAS_CORETYPE` at all. An empty
    /// `OPENBLAS_CORETYPE` names no core, so it counts as unset.
    public static func decide(cpu: CPUFeatures, openBLASCore: String, openBLASSwitchesCores: Bool,
                              environment: [String: String]) -> Action {
        if let guardValue = environment[guardVariable], !guardValue.isEmpty { return .leaveAlone(.alreadyReexecuted) }
        if let userCore = environment[coreTypeVariable], !userCore.isEmpty { return .leaveAlone(.userChoseCore) }
        guard let cpuLevel = cpu.level else { return .leaveAlone(.cpuFeaturesUnknown) }
        guard openBLASSwitchesCores else { return .leaveAlone(.openBLASHasOneCore) }
        guard let kernels = kernelLevel(ofCore: openBLASCore) else { return .leaveAlone(.unknownCore(openBLASCore)) }
        guard kernels < .avx2, kernels < cpuLevel, let better = core(for: cpuLevel) else {
            return .leaveAlone(.kernelsFitCPU)
        }
        return .reexecute(coreType: better)
    }
}

/// Which kernels ran, as `charnn bench` and the training summary report them.
public struct BLASKernelReport: Equatable, Sendable {
    public enum Source: String, Sendable {
        /// OpenBLAS's own detection.
        case openblas = "openblas"
        /// charnn re-executed itself with the core its CPU features call for.
        case charnn = "charnn-chose-from-cpu-features"
        /// The user's `OPENBLAS_CORETYPE`.
        case user = "user-OPENBLAS_CORETYPE"
        /// charnn asked for a core and OpenBLAS used another (a core its build lacks, say).
        case openblasRefusedCharnn = "openblas-refused-charnn-choice"
    }

    /// The core OpenBLAS uses, as `openblas_get_corename()` spells it.
    public var core: String
    public var source: Source
    /// The best level charnn detected, or nil off x86.
    public var cpuLevel: InstructionSetLevel?
    /// The core charnn asked for, when it did.
    public var requestedCore: String?

    public init(cpu: CPUFeatures, openBLASCore: String, environment: [String: String]) {
        core = openBLASCore
        cpuLevel = cpu.level
        let asked = environment[BLASCoreChoice.coreTypeVariable] ?? ""
        if asked.isEmpty {
            source = .openblas
        } else if environment[BLASCoreChoice.guardVariable] == asked {
            requestedCore = asked
            source = asked.lowercased() == openBLASCore.lowercased() ? .charnn : .openblasRefusedCharnn
        } else {
            source = .user
        }
    }

    /// `cpu_isa`: "avx512", "avx2", "avx", "sse", or "unknown" off x86.
    public var cpuISA: String { cpuLevel?.name ?? "unknown" }

    /// The keys `charnn bench` adds to its table and JSON.
    public var benchFields: [String: String] {
        ["blas_core": core, "blas_core_source": source.rawValue, "cpu_isa": cpuISA]
    }

    /// One short phrase for the training summary, e.g. "OpenBLAS Zen (AVX2 CPU)".
    public var summary: String {
        let cpu: String
        switch cpuLevel {
        case .sse: cpu = "SSE CPU"
        case .avx: cpu = "AVX CPU"
        case .avx2: cpu = "AVX2 CPU"
        case .avx512: cpu = "AVX-512 CPU"
        case nil: cpu = "CPU features unknown"
        }
        switch source {
        case .openblas: return "OpenBLAS \(core) (\(cpu))"
        case .charnn: return "OpenBLAS \(core), chosen by charnn (\(cpu))"
        case .user: return "OpenBLAS \(core), from OPENBLAS_CORETYPE (\(cpu))"
        case .openblasRefusedCharnn: return "OpenBLAS \(core), not charnn's \(requestedCore ?? "") (\(cpu))"
        }
    }
}
