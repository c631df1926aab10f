import CKernels
import XCTest
@testable import CharRNN

/// The register-only FMA loops: each ISA path this CPU can run counts its operations exactly and
/// finishes; the measurement turns them into a positive rate.
final class FMAPeakTests: XCTestCase {
    private var runnableLevels: [InstructionSetLevel] {
        let best = InstructionSets.current.peakLevel
        return InstructionSetLevel.allCases.filter { $0 <= best }
    }

    func testEveryLoopCountsTwoOperationsPerLanePerFMA() {
        var sink: Float = 0
        // 12 accumulators × lanes × 2 operations × iterations.
        XCTAssertEqual(ckernels_fma_loop_sse(1000, &sink), 2 * 4 * 12 * 1000)
        XCTAssertTrue(sink.isFinite && sink > 0)
        if runnableLevels.contains(.avx2) {
            XCTAssertEqual(ckernels_fma_loop_avx2(1000, &sink), 2 * 8 * 12 * 1000)
            XCTAssertTrue(sink.isFinite && sink > 0)
        }
        if runnableLevels.contains(.avx512) {
            XCTAssertEqual(ckernels_fma_loop_avx512(1000, &sink), 2 * 16 * 12 * 1000)
            XCTAssertTrue(sink.isFinite && sink > 0)
        }
    }

    func testEveryRunnableLevelMeasuresARate() {
        for level in runnableLevels {
            let rate = FMAPeak.gflops(threads: 1, level: level, seconds: 0.02)
            XCTAssertTrue(rate.isFinite && rate > 0.01, "\(level): \(rate) GFLOP/s")
        }
        XCTAssertGreaterThan(FMAPeak.gflops(threads: 2, seconds: 0.02), 0)
    }
}
