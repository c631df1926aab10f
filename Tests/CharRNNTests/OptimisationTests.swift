import XCTest
@testable import CharRNN

final class OptimisationTests: XCTestCase {
    /// Three steps of gradient 1, −0.5, 2 on θ = 1 at lr 0.1, worked out by hand from
    /// m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g², θ ← θ − lr · m̂ / (√v̂ + ε):
    /// step 2: m = 0.04, v = 0.001249, m̂ = 0.04/0.19, v̂ = 0.001249/0.001999 → θ = 0.87336630.
    func testAdamMatchesHandComputedSteps() {
        let expected = [0.900000001, 0.8733662973709032, 0.8075551378428033]
        assertAdam(weightDecay: 0, expected: expected)
    }

    /// AdamW shrinks θ by (1 − lr·λ) before the Adam step: λ = 0.5 → θ₁ = 1·0.95 − 0.1.
    func testAdamWDecouplesWeightDecay() {
        let expected = [0.850000001, 0.7808662973209032, 0.6760118229267581]
        assertAdam(weightDecay: 0.5, expected: expected)
    }

    private func assertAdam(weightDecay: Double, expected: [Double], line: UInt = #line) {
        let adam = Adam(parameterCount: 1, settings: Adam.Settings(weightDecay: weightDecay))
        var theta: [Float] = [1]
        for (step, g) in [Float(1), -0.5, 2].enumerated() {
            let gradient: [Float] = [g]
            theta.withUnsafeMutableBufferPointer { p in
                gradient.withUnsafeBufferPointer { adam.update(parameters: p, gradients: $0, learningRate: 0.1) }
            }
            XCTAssertEqual(Double(theta[0]), expected[step], accuracy: 1e-6, "step \(step + 1)", line: line)
        }
        XCTAssertEqual(adam.stepCount, 3)
    }

    /// θ̄ ← θ̄ + (1 − d_t)(θ − θ̄), d_t = min(d, t/(t + 1)), worked out by hand for d = 0.75:
    /// update 1 (d = 0) takes θ = [1, 0] whole; update 2 (d = 1/2) the mean [1.5, 2] of [1, 0] and
    /// [2, 4]; update 3 (d = 2/3) the mean [2, 3] of the three; update 4 and on d = 0.75.
    func testWeightAverageIsTheMeanThenDecays() {
        var theta: [Float] = [0, 10]
        let average = theta.withUnsafeBufferPointer { WeightAverage(decay: 0.75, parameters: $0) }
        for (given, expected) in [([Float(1), 0], [Float(1), 0]), ([2, 4], [1.5, 2]), ([3, 5], [2, 3])] {
            theta = given
            theta.withUnsafeBufferPointer { average.update(from: $0) }
            XCTAssertEqual(average.snapshot[0], expected[0], accuracy: 1e-6)
            XCTAssertEqual(average.snapshot[1], expected[1], accuracy: 1e-6)
        }
        XCTAssertEqual(average.updateCount, 3)
        XCTAssertEqual(average.currentDecay, 0.75)
        theta = [10, 7]
        theta.withUnsafeBufferPointer { average.update(from: $0) }
        XCTAssertEqual(average.snapshot[0], 2 + 0.25 * 8, accuracy: 1e-6)
        XCTAssertEqual(average.snapshot[1], 3 + 0.25 * 4, accuracy: 1e-6)
    }

    /// Exchanging puts the average in the model's buffer and back, bit for bit.
    func testWeightAverageExchangesWithTheParameters() {
        var theta: [Float] = [1.5, -2, 3.25]
        let average = theta.withUnsafeBufferPointer { WeightAverage(decay: 0.9, parameters: $0) }
        theta = [4, 5, 6]
        theta.withUnsafeBufferPointer { average.update(from: $0) }
        let averaged = average.snapshot
        theta.withUnsafeMutableBufferPointer { average.exchange(with: $0) }
        XCTAssertEqual(theta, averaged)
        XCTAssertEqual(average.snapshot, [4, 5, 6])
        theta.withUnsafeMutableBufferPointer { average.exchange(with: $0) }
        XCTAssertEqual(theta, [4, 5, 6])
        XCTAssertEqual(average.snapshot, averaged)
    }

    func testClippingScalesToTheLimitAndReportsThePreClipNorm() {
        var gradients: [Float] = [3, 4, 0, 12]  // norm 13
        let norm = gradients.withUnsafeMutableBufferPointer { clipGradientNorm($0, limit: 5) }
        XCTAssertEqual(norm, 13, accuracy: 1e-9)
        let after = gradients.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        XCTAssertEqual(after, 5, accuracy: 1e-5)
        XCTAssertEqual(Double(gradients[0]), 3 * 5 / 13, accuracy: 1e-6)
    }

    func testClippingLeavesSmallGradientsAndZeroLimitAlone() {
        var small: [Float] = [0.3, -0.4]
        _ = small.withUnsafeMutableBufferPointer { clipGradientNorm($0, limit: 5) }
        XCTAssertEqual(small, [0.3, -0.4])
        var large: [Float] = [30, -40]
        let norm = large.withUnsafeMutableBufferPointer { clipGradientNorm($0, limit: 0) }
        XCTAssertEqual(norm, 50, accuracy: 1e-9)
        XCTAssertEqual(large, [30, -40])
    }

    func testConstantSchedule() {
        XCTAssertEqual(LearningRateSchedule.constant.rate(base: 0.002, step: 12345, windowsPerEpoch: 10), 0.002)
    }

    /// char-rnn: after each completed epoch e ≥ `after`, ×factor. Epochs of 10 steps, after = 2.
    func testStepDecaySchedule() {
        let schedule = LearningRateSchedule.stepDecay(factor: 0.5, after: 2)
        XCTAssertEqual(schedule.rate(base: 1, step: 1, windowsPerEpoch: 10), 1)    // epoch 0
        XCTAssertEqual(schedule.rate(base: 1, step: 11, windowsPerEpoch: 10), 1)    // 1 epoch done
        XCTAssertEqual(schedule.rate(base: 1, step: 20, windowsPerEpoch: 10), 1)    // still in the second epoch
        XCTAssertEqual(schedule.rate(base: 1, step: 21, windowsPerEpoch: 10), 0.5)  // 2 epochs done: first decay
        XCTAssertEqual(schedule.rate(base: 1, step: 31, windowsPerEpoch: 10), 0.25)
        XCTAssertEqual(schedule.rate(base: 1, step: 41, windowsPerEpoch: 10), 0.125)
    }

    func testCosineScheduleWithWarmup() {
        let schedule = LearningRateSchedule.cosine(warmupSteps: 10, length: .steps(110))
        XCTAssertEqual(schedule.rate(base: 1, step: 1, windowsPerEpoch: 5), 0.1, accuracy: 1e-12)
        XCTAssertEqual(schedule.rate(base: 1, step: 10, windowsPerEpoch: 5), 1, accuracy: 1e-12)
        XCTAssertEqual(schedule.rate(base: 1, step: 60, windowsPerEpoch: 5), 0.5, accuracy: 1e-12)
        XCTAssertEqual(schedule.rate(base: 1, step: 110, windowsPerEpoch: 5), 0, accuracy: 1e-12)
        XCTAssertLessThan(schedule.rate(base: 1, step: 85, windowsPerEpoch: 5), schedule.rate(base: 1, step: 35, windowsPerEpoch: 5))
    }

    /// A `--time` run's cosine follows the clock: half the budget gone is half the rate.
    func testCosineToTheEndOfATimeBudget() {
        let schedule = LearningRateSchedule.cosine(warmupSteps: 4, length: .seconds(100))
        XCTAssertEqual(schedule.rate(base: 2, step: 2, windowsPerEpoch: 5, elapsed: 50), 1, accuracy: 1e-12)  // warming up
        XCTAssertEqual(schedule.rate(base: 2, step: 9, windowsPerEpoch: 5, elapsed: 0), 2, accuracy: 1e-12)
        XCTAssertEqual(schedule.rate(base: 2, step: 9, windowsPerEpoch: 5, elapsed: 50), 1, accuracy: 1e-12)
        XCTAssertEqual(schedule.rate(base: 2, step: 9, windowsPerEpoch: 5, elapsed: 25), 1 + 0.5.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(schedule.rate(base: 2, step: 9, windowsPerEpoch: 5, elapsed: 130), 0, accuracy: 1e-12)  // past the end
    }
}
