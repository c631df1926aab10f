import Foundation
import XCTest

/// Which OpenBLAS kernels the built binary runs: never SSE-era ones on an AVX2 or AVX-512 CPU, a
/// user's OPENBLAS_CORETYPE always, and the re-execution that fixes a wrong choice (exercised here,
/// on a CPU OpenBLAS knows, by pretending it chose Prescott) happening once, arguments and exit
/// codes intact. The CPU's level comes from /proc/cpuinfo, not from charnn's own reading.
final class KernelChoiceTests: CLITestCase {
    /// Cores whose kernels predate AVX, in OpenBLAS's spelling (0.3.21, x86).
    static let sseEraCores: Set<String> = [
        "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
        "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat"]

    static let kernelVariables = ["OPENBLAS_CORETYPE", "OPENBLAS_VERBOSE", "CHARNN_REEXECUTED_WITH_CORETYPE",
                                  "CHARNN_TEST_PRETEND_OPENBLAS_CORE"]

    static let quickBench = ["bench", "--steps", "1", "--warmup", "0", "--json"]

    /// The kernel's view of the CPU: "avx512", "avx2", "avx" or "sse"; nil when not x86 Linux.
    static let cpuLevel: String? = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let list = line.split(separator: ":").last else { return nil }
        let flags = Set(list.split(separator: " ").map(String.init))
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return "avx512" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "avx2" }
        return flags.contains("avx") ? "avx" : "sse"
    }()

    /// The core charnn should ask for on this CPU, or a skip when the CPU has no AVX2.
    func coreForThisCPU() throws -> String {
        switch Self.cpuLevel {
        case "avx512": return "SkylakeX"
        case "avx2": return "Haswell"
        default: throw XCTSkip("this CPU has no AVX2 (\(Self.cpuLevel ?? "not x86"))")
        }
    }

    /// Runs charnn with the kernel variables removed from the environment (the harness can add
    /// variables, not remove them), then `assignments` set.
    func runCleanly(_ arguments: [String], _ assignments: [String: String] = [:]) throws -> RunResult {
        func quoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let unset = Self.kernelVariables.flatMap { ["-u", $0] }
        let set = assignments.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let script = (["exec", "env"] + unset + set).map(quoted).joined(separator: " ")
            + " \"$CHARNN\" " + arguments.map(quoted).joined(separator: " ")
        return try sandbox.shell(script)
    }

    func lines(_ text: String, containing needle: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.contains(needle) }
    }

    // MARK: OpenBLAS's own choice

    func testNoSSEEraKernelsOnAnAVX2OrAVX512CPU() throws {
        _ = try coreForThisCPU()
        let result = try runCleanly(Self.quickBench)
        assertSuccess(result, "bench")
        let report = try jsonObject(result.stdout)
        let core = try XCTUnwrap(report["blas_core"] as? String, "no blas_core in \(report)")
        XCTAssertFalse(Self.sseEraCores.contains(core.lowercased()), "SSE-era kernels \(core) on an \(Self.cpuLevel!) CPU")
        XCTAssertEqual(report["cpu_isa"] as? String, Self.cpuLevel, "charnn's reading differs from /proc/cpuinfo")
        XCTAssertEqual(report["blas_core_source"] as? String, "openblas", "OpenBLAS knows this CPU: no re-execution")
    }

    func testTheBenchTableNamesTheKernels() throws {
        let result = try runCleanly(["bench", "--steps", "1", "--warmup", "0", "--threads", "2"])
        assertSuccess(result, "bench")
        let keys = result.out.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        for key in ["blas_core", "blas_core_source", "cpu_isa"] {
            XCTAssertEqual(keys.filter { $0 == key }.count, 1, "\(key) in\n\(result.out)")
        }
        // How the two threads split the step: the default batch of 50 streams into two replicas.
        XCTAssertEqual(lines(result.out, containing: "thread_split").map { $0.split(separator: " ", maxSplits: 1).last?
                           .trimmingCharacters(in: .whitespaces) }, ["2 replicas × 25 streams"], result.out)
    }

    // MARK: The user's choice

    func testTheUsersCoreTypeWins() throws {
        let result = try runCleanly(Self.quickBench, ["OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_VERBOSE": "2"])
        assertSuccess(result, "bench with OPENBLAS_CORETYPE=Prescott")
        let report = try jsonObject(result.stdout)
        XCTAssertEqual(report["blas_core"] as? String, "Prescott")
        XCTAssertEqual(report["blas_core_source"] as? String, "user-OPENBLAS_CORETYPE")
        XCTAssertEqual(lines(result.err, containing: "re-executing").count, 0, result.summary)
    }

    // MARK: The re-execution

    func testAPrescottChoiceIsReplacedOnceWithArgumentsIntact() throws {
        let expected = try coreForThisCPU()
        let result = try runCleanly(Self.quickBench + ["--hidden", "24", "--layers", "1"],
                                    ["CHARNN_TEST_PRETEND_OPENBLAS_CORE": "Prescott", "OPENBLAS_VERBOSE": "2"])
        assertSuccess(result, "bench pretending OpenBLAS chose Prescott")
        let report = try jsonObject(result.stdout)
        XCTAssertEqual(report["blas_core"] as? String, expected, result.summary)
        XCTAssertEqual(report["blas_core_source"] as? String, "charnn-chose-from-cpu-features", result.summary)
        XCTAssertEqual(report["hidden"] as? Int, 24, "arguments lost in the re-execution")
        XCTAssertEqual(report["layers"] as? Int, 1, "arguments lost in the re-execution")
        // OpenBLAS says "Core: …" each time it is loaded: once before, once after, never again.
        XCTAssertEqual(lines(result.err, containing: "Core: ").count, 2, result.summary)
        XCTAssertEqual(lines(result.err, containing: "re-executing with OPENBLAS_CORETYPE=\(expected)").count, 1,
                       result.summary)
    }

    func testTheGuardPreventsReexecution() throws {
        _ = try coreForThisCPU()
        let result = try runCleanly(Self.quickBench, ["CHARNN_TEST_PRETEND_OPENBLAS_CORE": "Prescott",
                                                      "CHARNN_REEXECUTED_WITH_CORETYPE": "Haswell",
                                                      "OPENBLAS_VERBOSE": "2"])
        assertSuccess(result, "bench with the guard set")
        XCTAssertEqual(lines(result.err, containing: "Core: ").count, 1, result.summary)
        XCTAssertEqual(lines(result.err, containing: "re-executing").count, 0, result.summary)
        XCTAssertEqual(try jsonObject(result.stdout)["blas_core_source"] as? String, "openblas")
    }

    func testExitCodesAndCleanErrorsSurviveTheReexecution() throws {
        _ = try coreForThisCPU()
        let pretend = ["CHARNN_TEST_PRETEND_OPENBLAS_CORE": "Prescott"]
        let missing = try runCleanly(["bench", "--mode", "encode", "--corpus", "missing.txt"], pretend)
        assertCleanFailure(missing, code: 1, mentions: ["missing.txt"])
        let invalid = try runCleanly(["bench", "--steps", "0"], pretend)
        XCTAssertEqual(invalid.exitCode, 64, invalid.summary)
        XCTAssertTrue(invalid.err.contains("must be positive"), invalid.summary)
        assertNoCrashReport(invalid)
    }

    func testTheTrainingSummaryNamesTheKernels() throws {
        let expected = try coreForThisCPU()
        let corpus = try corpus()
        let result = try runCleanly(["train", corpus] + Self.tinyModel + ["--steps", "2", "--val-every", "0", "--out", "ck"],
                                    ["CHARNN_TEST_PRETEND_OPENBLAS_CORE": "Prescott"])
        assertSuccess(result, "train pretending OpenBLAS chose Prescott")
        let cpu = Self.cpuLevel == "avx512" ? "AVX-512" : "AVX2"
        XCTAssertEqual(lines(result.err, containing: "kernels: OpenBLAS \(expected), chosen by charnn (\(cpu) CPU)").count,
                       1, result.summary)
        XCTAssertTrue(sandbox.exists("ck/latest.safetensors.zst"), "the re-executed run did not train into ck")
    }
}

/// `charnn bench --mode peak` and the fraction of it a training benchmark reaches.
final class BenchPeakTests: CLITestCase {
    func testPeakModeAndFractionOfPeak() throws {
        let peak = try jsonObject(try sandbox.run(["bench", "--mode", "peak", "--threads", "1", "--json"]).stdout)
        XCTAssertEqual(peak["mode"] as? String, "peak")
        let isa = try XCTUnwrap(peak["peak_isa"] as? String)
        let cpu = try XCTUnwrap(peak["cpu_isa"] as? String)
        XCTAssertEqual(isa, ["avx512", "avx2"].contains(cpu) ? cpu : "sse", "the widest loop the CPU runs")
        XCTAssertGreaterThan(try XCTUnwrap(peak["peak_gflops_one_thread"] as? Double), 0)

        let train = try jsonObject(try sandbox.run(["bench", "--hidden", "16", "--embed", "8", "--batch", "4", "--seq", "8",
                                                    "--steps", "2", "--warmup", "1", "--threads", "1", "--json"]).stdout)
        let gflops = try XCTUnwrap(train["gflops"] as? Double)
        let peakGflops = try XCTUnwrap(train["peak_gflops"] as? Double)
        let fraction = try XCTUnwrap(train["fraction_of_peak"] as? Double)
        XCTAssertGreaterThan(fraction, 0)
        XCTAssertEqual(fraction, gflops / peakGflops, accuracy: 1e-9 * max(1, fraction))
    }
}

/// `charnn bench --mode kernels`: the recurrent kernels alone, beside one core's peak.
final class BenchKernelsTests: CLITestCase {
    func testKernelsModeReportsEachCellsRatesAgainstThePeak() throws {
        let level = KernelChoiceTests.cpuLevel
        try XCTSkipUnless(level == "avx2" || level == "avx512", "this CPU has no AVX2 and FMA: the kernels cannot run here")
        for (cell, variant) in [("lstm", "reset-before"), ("gru", "reset-before"), ("gru", "reset-after")] {
            let result = try jsonObject(try sandbox.run(["bench", "--mode", "kernels", "--cell", cell, "--gru-variant",
                                                         variant, "--hidden", "32", "--batch", "7", "--threads", "2",
                                                         "--json"]).stdout)
            let name = "\(cell) \(variant)"
            XCTAssertEqual(result["kernel_rows"] as? Int, 4, "\(name): 7 streams over 2 threads, rounded up")
            let peak = try XCTUnwrap(result["peak_gflops_one_thread"] as? Double, name)
            for kernel in ["step", "backward"] {
                let rate = try XCTUnwrap(result["kernel_\(kernel)_gflops"] as? Double, name)
                XCTAssertTrue(rate > 0 && rate.isFinite, "\(name) \(kernel): \(rate) GFLOP/s")
                let fraction = try XCTUnwrap(result["kernel_\(kernel)_fraction_of_peak"] as? Double, name)
                XCTAssertEqual(fraction, rate / peak, accuracy: 1e-9, name)
            }
        }
    }

    func testKernelsModeExplainsWhatItCannotMeasure() throws {
        let level = KernelChoiceTests.cpuLevel
        try XCTSkipUnless(level == "avx2" || level == "avx512", "without AVX2 every request gets the generic-path error")
        let odd = try sandbox.run(["bench", "--mode", "kernels", "--hidden", "24"])
        XCTAssertEqual(odd.exitCode, 1, odd.summary)
        XCTAssertTrue(odd.err.contains("--hidden 24: the packed kernels need a multiple of 16 units"), odd.summary)
        let generic = try sandbox.run(["bench", "--mode", "kernels", "--hidden", "32"],
                                      environment: ["CHARNN_KERNELS": "generic"])
        XCTAssertEqual(generic.exitCode, 1, generic.summary)
        XCTAssertTrue(generic.err.contains("uses the generic path"), generic.summary)
    }
}

/// `charnn bench --mode serve`: the serving batcher's step alone, in characters per second.
final class BenchServeTests: CLITestCase {
    func testServeModeReportsTheBatchedStepRate() throws {
        let run = try sandbox.run(["bench", "--mode", "serve", "--hidden", "32", "--embed", "8", "--batch", "5",
                                   "--sample-len", "50", "--sample-reps", "2", "--threads", "1", "--json"])
        XCTAssertEqual(run.exitCode, 0, run.summary)
        let result = try jsonObject(run.stdout)
        XCTAssertEqual(result["mode"] as? String, "serve")
        XCTAssertEqual(result["batch"] as? Int, 5)
        let rate = try XCTUnwrap(result["serve_step_chars_per_s"] as? Double, run.summary)
        XCTAssertTrue(rate > 0 && rate.isFinite, "\(rate)")
    }
}
