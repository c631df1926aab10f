import XCTest
@testable import CharRNN

/// Each kernel family's choice from made-up CPUs: a feature counts only with the OS saving its
/// registers, and each family gets the widest code the CPU runs.
final class InstructionSetsTests: XCTestCase {
    /// An x86 CPU; `ymm`, `zmm`: whether the OS saves those registers.
    private func cpu(avx2: Bool = false, f16c: Bool = false, avx512: Bool = false, ymm: Bool = true,
                     zmm: Bool = true) -> InstructionSets {
        var cpu = CPUFeatures(isX86: true)
        (cpu.avx, cpu.avx2, cpu.fma, cpu.f16c) = (avx2, avx2, avx2, f16c)
        (cpu.avx512f, cpu.avx512bw, cpu.avx512vl, cpu.avx512dq, cpu.avx512cd) = (avx512, avx512, avx512, avx512, avx512)
        (cpu.osSavesYMM, cpu.osSavesZMM) = (avx2 && ymm, avx512 && ymm && zmm)
        return InstructionSets(cpu: cpu)
    }

    func testRecurrentPathsFollowTheFeaturesAndTheOS() {
        let zen4 = cpu(avx2: true, f16c: true, avx512: true)
        XCTAssertTrue(RecurrentKernelPath.allCases.allSatisfy(zen4.canRun))
        XCTAssertEqual(zen4.recurrentPath, .avx512)
        let noZMM = cpu(avx2: true, avx512: true, zmm: false)
        XCTAssertTrue(noZMM.canRun(.avx2))
        XCTAssertEqual(noZMM.reasonCannotRun(.avx512), "this CPU has no AVX-512F/OS ZMM support")
        XCTAssertEqual(noZMM.recurrentPath, .avx2)
        let noYMM = cpu(avx2: true, ymm: false)
        XCTAssertEqual(noYMM.reasonCannotRun(.avx2), "this CPU has no AVX2 and FMA")
        XCTAssertEqual(noYMM.recurrentPath, .generic)
        let arm = InstructionSets(cpu: CPUFeatures(isX86: false))
        XCTAssertEqual(arm.recurrentPath, .generic)
        XCTAssertNil(arm.reasonCannotRun(.generic))
    }

    func testHalfGEMMAndPeakLoopFollowTheFeatures() {
        XCTAssertTrue(cpu(avx2: true, f16c: true).hasF16C)
        XCTAssertFalse(cpu(avx2: true, f16c: true, ymm: false).hasF16C)
        XCTAssertFalse(cpu(avx2: true).hasF16C)
        XCTAssertEqual(cpu(avx2: true, avx512: true).peakLevel, .avx512)
        XCTAssertEqual(cpu(avx2: true, avx512: true, zmm: false).peakLevel, .avx2)
        XCTAssertEqual(cpu().peakLevel, .sse)
        XCTAssertEqual(InstructionSets(cpu: CPUFeatures(isX86: false)).peakLevel, .sse)
    }

    /// The process's choices are those of its own reading.
    func testTheProcessUsesItsOwnReading() {
        let current = InstructionSets.current
        XCTAssertEqual(RecurrentKernels.best, current.recurrentPath)
        XCTAssertEqual(FMAPeak.bestLevel, current.peakLevel)
        XCTAssertEqual(HalfPrecisionStep.cpuHasF16C, current.hasF16C)
        XCTAssertEqual(BLASKernels.current.cpuLevel, current.cpu.level)
    }
}
