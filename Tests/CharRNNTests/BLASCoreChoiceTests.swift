import XCTest
@testable import CharRNN

/// The kernel decision over simulated CPU reports: CPUs this machine is not (an unknown AVX-512
/// Xeon, an old SSE-only part), and the environments a user or charnn itself may have set.
final class BLASCoreChoiceTests: XCTestCase {
    // MARK: Simulated CPUs

    /// An x86 CPU with the OS saving every register state its features need.
    private static func cpu(avx: Bool = false, avx2: Bool = false, fma: Bool = false,
                            avx512: Bool = false, bf16: Bool = false) -> CPUFeatures {
        var cpu = CPUFeatures(isX86: true)
        cpu.avx = avx
        cpu.avx2 = avx2
        cpu.fma = fma
        cpu.avx512f = avx512
        cpu.avx512bw = avx512
        cpu.avx512vl = avx512
        cpu.avx512dq = avx512
        cpu.avx512cd = avx512
        cpu.avx512bf16 = bf16
        cpu.osSavesYMM = avx
        cpu.osSavesZMM = avx512
        return cpu
    }

    /// A Xeon of family 6 model 207 (Emerald Rapids), as OpenBLAS 0.3.21 does not know it.
    private let avx512CPU = cpu(avx: true, avx2: true, fma: true, avx512: true, bf16: true)
    /// Haswell, Zen 3 (this machine), Alder Lake.
    private let avx2CPU = cpu(avx: true, avx2: true, fma: true)
    /// Sandy Bridge, Ivy Bridge.
    private let avxCPU = cpu(avx: true)
    /// Nehalem and older.
    private let sseCPU = cpu()

    private func decide(_ cpu: CPUFeatures, _ core: String, switches: Bool = true,
                        _ environment: [String: String] = [:]) -> BLASCoreChoice.Action {
        BLASCoreChoice.decide(cpu: cpu, openBLASCore: core, openBLASSwitchesCores: switches, environment: environment)
    }

    // MARK: Levels from features

    func testLevelsFromFeatures() {
        XCTAssertEqual(avx512CPU.level, .avx512)
        XCTAssertEqual(avx2CPU.level, .avx2)
        XCTAssertEqual(avxCPU.level, .avx)
        XCTAssertEqual(sseCPU.level, .sse)
        XCTAssertNil(CPUFeatures(isX86: false).level, "another architecture has no x86 level")
    }

    func testFeaturesTheOSDoesNotSaveDoNotCount() {
        var noYMM = avx512CPU
        noYMM.osSavesYMM = false
        XCTAssertEqual(noYMM.level, .sse, "AVX without the OS saving YMM faults")
        var noZMM = avx512CPU
        noZMM.osSavesZMM = false
        XCTAssertEqual(noZMM.level, .avx2, "AVX-512 without the OS saving ZMM faults")
    }

    func testPartialFeatureSetsFallToTheLevelBelow() {
        var knightsLanding = avx512CPU  // AVX-512 F and CD, but no BW, VL or DQ
        knightsLanding.avx512bw = false
        knightsLanding.avx512vl = false
        knightsLanding.avx512dq = false
        XCTAssertEqual(knightsLanding.level, .avx2)
        var noFMA = avx2CPU
        noFMA.fma = false
        XCTAssertEqual(noFMA.level, .avx, "Haswell kernels need FMA as well as AVX2")
    }

    // MARK: The decision

    func testUnknownAVX512CPUOnPrescottGetsSkylakeX() {
        XCTAssertEqual(decide(avx512CPU, "Prescott"), .reexecute(coreType: "SkylakeX"))
    }

    func testAVX2CPUOnPrescottGetsHaswell() {
        XCTAssertEqual(decide(avx2CPU, "Prescott"), .reexecute(coreType: "Haswell"))
    }

    func testAVX2CPUOnZenIsLeftAlone() {
        XCTAssertEqual(decide(avx2CPU, "Zen"), .leaveAlone(.kernelsFitCPU))
    }

    func testTheUsersCoreTypeWins() {
        XCTAssertEqual(decide(avx512CPU, "Prescott", ["OPENBLAS_CORETYPE": "Prescott"]), .leaveAlone(.userChoseCore))
        XCTAssertEqual(decide(avx2CPU, "Nehalem", ["OPENBLAS_CORETYPE": "nehalem"]), .leaveAlone(.userChoseCore))
    }

    func testAnEmptyCoreTypeNamesNoCore() {
        XCTAssertEqual(decide(avx2CPU, "Prescott", ["OPENBLAS_CORETYPE": ""]), .reexecute(coreType: "Haswell"))
    }

    func testOldCPUWithoutAVXIsLeftAlone() {
        XCTAssertEqual(decide(sseCPU, "Prescott"), .leaveAlone(.kernelsFitCPU))
    }

    func testTheGuardStopsASecondReexecution() {
        let reexecuted = ["CHARNN_REEXECUTED_WITH_CORETYPE": "Haswell", "OPENBLAS_CORETYPE": "Haswell"]
        XCTAssertEqual(decide(avx2CPU, "Prescott", reexecuted), .leaveAlone(.alreadyReexecuted))
        // The guard alone suffices, whatever became of OPENBLAS_CORETYPE.
        XCTAssertEqual(decide(avx512CPU, "Prescott", ["CHARNN_REEXECUTED_WITH_CORETYPE": "SkylakeX"]),
                       .leaveAlone(.alreadyReexecuted))
    }

    func testEverySSEEraCoreIsReplacedOnAnAVX2CPU() {
        for core in ["Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn",
                     "Dunnington", "Nehalem", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano", "Bobcat"] {
            XCTAssertEqual(decide(avx2CPU, core), .reexecute(coreType: "Haswell"), core)
            XCTAssertEqual(decide(avx512CPU, core.uppercased()), .reexecute(coreType: "SkylakeX"), core)
        }
    }

    func testAVXOnlyCoresAreReplacedOnAnAVX2CPUButNotOnAnAVXOne() {
        for core in ["Sandybridge", "Bulldozer", "Piledriver", "Steamroller"] {
            XCTAssertEqual(decide(avx2CPU, core), .reexecute(coreType: "Haswell"), core)
            XCTAssertEqual(decide(avxCPU, core), .leaveAlone(.kernelsFitCPU), core)
        }
        XCTAssertEqual(decide(avxCPU, "Prescott"), .reexecute(coreType: "Sandybridge"))
    }

    func testFMAEraCoresAreNeverReplaced() {
        for core in ["Haswell", "Zen", "Excavator", "SkylakeX", "Cooperlake", "SapphireRapids"] {
            XCTAssertEqual(decide(avx512CPU, core), .leaveAlone(.kernelsFitCPU), core)
            XCTAssertEqual(decide(avx2CPU, core), .leaveAlone(.kernelsFitCPU), core)
        }
    }

    func testUnknownCoreNamesAndSingleCoreBuildsAndOtherArchitecturesAreLeftAlone() {
        XCTAssertEqual(decide(avx512CPU, "Unknown"), .leaveAlone(.unknownCore("Unknown")))
        XCTAssertEqual(decide(avx512CPU, "Prescott", switches: false), .leaveAlone(.openBLASHasOneCore))
        XCTAssertEqual(decide(CPUFeatures(isX86: false), "ARMV8"), .leaveAlone(.cpuFeaturesUnknown))
    }

    func testTheChosenCoreIsOneOpenBLASKnowsAtTheCPUsLevel() {
        for level in InstructionSetLevel.allCases {
            guard let core = BLASCoreChoice.core(for: level) else {
                XCTAssertEqual(level, .sse, "only the SSE level leaves OpenBLAS to choose")
                continue
            }
            XCTAssertEqual(BLASCoreChoice.kernelLevel(ofCore: core), level, core)
        }
    }

    func testPretendingChangesOnlyTheCoreJudged() {
        XCTAssertEqual(BLASCoreChoice.coreToJudge(reported: "Zen", environment: [:]), "Zen")
        XCTAssertEqual(BLASCoreChoice.coreToJudge(
            reported: "Zen", environment: ["CHARNN_TEST_PRETEND_OPENBLAS_CORE": "Prescott"]), "Prescott")
        XCTAssertEqual(BLASCoreChoice.coreToJudge(
            reported: "Zen", environment: ["CHARNN_TEST_PRETEND_OPENBLAS_CORE": ""]), "Zen")
    }

    // MARK: The report

    func testReportSources() {
        let own = BLASKernelReport(cpu: avx2CPU, openBLASCore: "Zen", environment: [:])
        XCTAssertEqual(own.benchFields, ["blas_core": "Zen", "blas_core_source": "openblas", "cpu_isa": "avx2"])
        XCTAssertEqual(own.summary, "OpenBLAS Zen (AVX2 CPU)")

        let charnns = BLASKernelReport(cpu: avx512CPU, openBLASCore: "SkylakeX", environment: [
            "OPENBLAS_CORETYPE": "SkylakeX", "CHARNN_REEXECUTED_WITH_CORETYPE": "SkylakeX"])
        XCTAssertEqual(charnns.source, .charnn)
        XCTAssertEqual(charnns.benchFields["blas_core_source"], "charnn-chose-from-cpu-features")
        XCTAssertEqual(charnns.benchFields["cpu_isa"], "avx512")
        XCTAssertEqual(charnns.summary, "OpenBLAS SkylakeX, chosen by charnn (AVX-512 CPU)")

        let users = BLASKernelReport(cpu: avx2CPU, openBLASCore: "Prescott", environment: ["OPENBLAS_CORETYPE": "prescott"])
        XCTAssertEqual(users.source, .user)
        XCTAssertEqual(users.benchFields["blas_core_source"], "user-OPENBLAS_CORETYPE")
        XCTAssertEqual(users.summary, "OpenBLAS Prescott, from OPENBLAS_CORETYPE (AVX2 CPU)")
    }

    func testReportWhenOpenBLASIgnoredCharnnsRequest() {
        let refused = BLASKernelReport(cpu: avx512CPU, openBLASCore: "Prescott", environment: [
            "OPENBLAS_CORETYPE": "SkylakeX", "CHARNN_REEXECUTED_WITH_CORETYPE": "SkylakeX"])
        XCTAssertEqual(refused.source, .openblasRefusedCharnn)
        XCTAssertEqual(refused.summary, "OpenBLAS Prescott, not charnn's SkylakeX (AVX-512 CPU)")
    }

    func testReportOffX86() {
        let arm = BLASKernelReport(cpu: CPUFeatures(isX86: false), openBLASCore: "ARMV8", environment: [:])
        XCTAssertEqual(arm.benchFields["cpu_isa"], "unknown")
        XCTAssertEqual(arm.summary, "OpenBLAS ARMV8 (CPU features unknown)")
    }

    /// The live reading on this machine agrees with the kernel's view of the CPU (/proc/cpuinfo).
    func testThisCPUsLevelMatchesProcCPUInfo() throws {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo flags")
        }
        let flags = Set(flagsLine.split(separator: ":").last!.split(separator: " ").map(String.init))
        let expected: InstructionSetLevel
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) {
            expected = .avx512
        } else if ["avx2", "fma"].allSatisfy(flags.contains) {
            expected = .avx2
        } else if flags.contains("avx") {
            expected = .avx
        } else {
            expected = .sse
        }
        XCTAssertEqual(InstructionSets.current.cpu.level, expected, "flags: \(flags.sorted())")
    }
}
