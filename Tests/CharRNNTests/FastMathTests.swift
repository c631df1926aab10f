import Foundation
import XCTest
@testable import CharRNN

/// The Float path's exp, sigmoid and tanh against libm over a dense sweep.
final class FastMathTests: XCTestCase {
    private var sweep: [Float] {
        stride(from: Float(-90), through: 90, by: 0.003_1).map { $0 } + [0, -0, 1e-8, -1e-8, 1e-4, -3e-3, 0.0625, -0.0625]
    }

    func testExpWithinThreeTenMillionths() {
        for x in sweep where x > -87 && x < 88 {
            let reference = Foundation.exp(Double(x))
            let error = abs(Double(FastMath.exp(x)) - reference) / reference
            XCTAssertLessThan(error, 3e-7, "exp(\(x))")
        }
        XCTAssertEqual(FastMath.exp(-200), FastMath.exp(-87.3))  // clamped, finite, positive
        XCTAssertTrue(FastMath.exp(200).isFinite)
    }

    func testSigmoidAndTanh() {
        for x in sweep {
            let sigmoid = 1 / (1 + Foundation.exp(-Double(x)))
            XCTAssertEqual(Double(FastMath.sigmoid(x)), sigmoid, accuracy: 2e-7, "σ(\(x))")
            let tanh = Foundation.tanh(Double(x))
            let fast = Double(FastMath.tanh(x))
            XCTAssertEqual(fast, tanh, accuracy: 2e-7, "tanh(\(x))")
            if abs(tanh) > 1e-30 { XCTAssertLessThan(abs(fast - tanh) / abs(tanh), 1e-6, "tanh(\(x)) relative") }
        }
    }
}
