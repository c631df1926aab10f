import COpenBLAS
import Foundation

/// The live side of `BLASCoreChoice`: reads this CPU, OpenBLAS and the environment, re-executes
/// charnn when OpenBLAS chose kernels far below the CPU, and reports which kernels run.
///
/// Why re-execution: OpenBLAS reads `OPENBLAS_CORETYPE` once, in its library constructor, when
/// the dynamic loader maps it, before `main`. charnn links libopenblas at load time (the
/// `COpenBLAS` module's `link "openblas"`), so by the time charnn can look at the CPU the kernels
/// are fixed. The alternatives are worse:
/// - setting the variable in `main` changes nothing: the constructor has run;
/// - `dlopen` after choosing returns the copy already loaded; a second copy (`dlmopen`) would mean
///   calling every BLAS routine through function pointers and running two thread pools;
/// - switching OpenBLAS's internal kernel table (`gotoblas`) is not API and changes between releases;
/// - setting the variable before the loader runs needs a wrapper script around the binary, which
///   `mpirun`, tests and users calling `.build/release/charnn` would bypass.
/// `execv("/proc/self/exe", argv)` instead costs one more process start (milliseconds), happens
/// before charnn has read input or written output, keeps the process id (signals, `mpirun` and a
/// waiting parent see one process, and its exit code) and passes the same arguments on.
public enum BLASKernels {
    /// The core whose kernels OpenBLAS uses, as it names it ("Zen", "Haswell", "Prescott"…).
    public static func openBLASCore() -> String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Whether this OpenBLAS was built with several cores and so honours `OPENBLAS_CORETYPE`.
    static func openBLASSwitchesCores() -> Bool {
        guard let config = openblas_get_config() else { return false }
        return String(cString: config).contains("DYNAMIC_ARCH")
    }

    /// The variables the decision and the report read, taken with `getenv` at the moment of the
    /// call (so a value charnn itself unset after a failed `execv` is gone).
    static func kernelEnvironment() -> [String: String] {
        var values: [String: String] = [:]
        for name in [BLASCoreChoice.coreTypeVariable, BLASCoreChoice.guardVariable,
                     BLASCoreChoice.pretendCoreVariable, "OPENBLAS_VERBOSE"] {
            if let value = getenv(name) { values[name] = String(cString: value) }
        }
        return values
    }

    /// The kernels this process runs, as `charnn bench` and the training summary report them.
    public static let current = BLASKernelReport(cpu: InstructionSets.current.cpu, openBLASCore: openBLASCore(),
                                                 environment: kernelEnvironment())

    /// Call first thing in `main`. When OpenBLAS chose pre-AVX2 kernels on a CPU that can do better
    /// (and the user set no `OPENBLAS_CORETYPE`), replaces this process with a fresh run of the same
    /// binary and arguments, `OPENBLAS_CORETYPE` set to the core the CPU's features call for; it
    /// returns only when nothing needs doing or `execv` failed (then after a one-line note on stderr).
    public static func reexecuteIfOpenBLASChoseWeakKernels() {
        let environment = kernelEnvironment()
        let reported = openBLASCore()
        let judged = BLASCoreChoice.coreToJudge(reported: reported, environment: environment)
        let cpu = InstructionSets.current.cpu
        let action = BLASCoreChoice.decide(cpu: cpu, openBLASCore: judged,
                                           openBLASSwitchesCores: openBLASSwitchesCores(), environment: environment)
        guard case .reexecute(let core) = action else { return }
        let level = cpu.level?.name ?? "unknown"
        // OPENBLAS_VERBOSE=2 is how one asks OpenBLAS which core it chose; say ours there too.
        if let verbose = environment["OPENBLAS_VERBOSE"].flatMap(Int.init), verbose >= 2 {
            let pretended = judged == reported ? "" : " (pretended by \(BLASCoreChoice.pretendCoreVariable))"
            note("charnn: OpenBLAS chose \(judged) kernels\(pretended) on an \(level) CPU; "
                 + "re-executing with \(BLASCoreChoice.coreTypeVariable)=\(core)")
        }
        setenv(BLASCoreChoice.coreTypeVariable, core, 1)
        setenv(BLASCoreChoice.guardVariable, core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when execv failed: undo, so the report tells the truth, and carry on.
        let reason = String(cString: strerror(errno))
        unsetenv(BLASCoreChoice.coreTypeVariable)
        unsetenv(BLASCoreChoice.guardVariable)
        note("charnn: could not re-execute with \(BLASCoreChoice.coreTypeVariable)=\(core) (\(reason)); "
             + "continuing with OpenBLAS's \(reported) kernels, slower on this \(level) CPU")
    }

    private static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
