import XCTest
@testable import CharRNN

final class StreamLayoutTests: XCTestCase {
    /// ids[i] == i, so every filled value is its own position in the stream.
    private func positions(_ n: Int) -> CorpusIDs {
        CorpusIDs((0..<n).map { Int32($0) }, vocabularySize: max(n, 1))
    }

    private func window(_ layout: StreamLayout, _ k: Int) -> (inputs: [Int32], targets: [Int32]) {
        let size = layout.batchSize * layout.steps
        var inputs = [Int32](repeating: -1, count: size), targets = [Int32](repeating: -1, count: size)
        inputs.withUnsafeMutableBufferPointer { inputs in
            targets.withUnsafeMutableBufferPointer { targets in
                layout.fill(window: k, inputs: inputs.baseAddress!, targets: targets.baseAddress!)
            }
        }
        return (inputs, targets)
    }

    func testShapeOfSmallLayout() throws {
        // N = 23, B = 2, T = 3: S = ⌊22/2⌋ = 11, K = ⌊11/3⌋ = 3.
        let layout = try StreamLayout(ids: positions(23), batchSize: 2, steps: 3, role: "training")
        XCTAssertEqual(layout.streamLength, 11)
        XCTAssertEqual(layout.windowsPerEpoch, 3)
        XCTAssertEqual(layout.batchSize, 2)
        XCTAssertEqual(layout.steps, 3)
    }

    func testWindowsHoldExactIndicesTimeMajor() throws {
        let layout = try StreamLayout(ids: positions(23), batchSize: 2, steps: 3, role: "training")
        // (t, b) order: t0b0 t0b1 t1b0 t1b1 t2b0 t2b1; row b starts at b·S = 11·b.
        XCTAssertEqual(window(layout, 0).inputs, [0, 11, 1, 12, 2, 13])
        XCTAssertEqual(window(layout, 0).targets, [1, 12, 2, 13, 3, 14])
        XCTAssertEqual(window(layout, 1).inputs, [3, 14, 4, 15, 5, 16])
        XCTAssertEqual(window(layout, 1).targets, [4, 15, 5, 16, 6, 17])
        XCTAssertEqual(window(layout, 2).inputs, [6, 17, 7, 18, 8, 19])
        XCTAssertEqual(window(layout, 2).targets, [7, 18, 8, 19, 9, 20])
    }

    func testMatchesFormulaAndCarriesRowsAcrossWindows() throws {
        let ids = CorpusIDs((0..<1000).map { Int32(($0 * 7919) % 997) }, vocabularySize: 997)
        let (B, T) = (4, 7)
        let layout = try StreamLayout(ids: ids, batchSize: B, steps: T, role: "training")
        let S = layout.streamLength
        XCTAssertEqual(S, 249)
        XCTAssertEqual(layout.windowsPerEpoch, 35)
        for k in 0..<layout.windowsPerEpoch {
            let (inputs, targets) = window(layout, k)
            for t in 0..<T {
                for b in 0..<B {
                    XCTAssertEqual(inputs[t * B + b], ids[b * S + k * T + t])
                    XCTAssertEqual(targets[t * B + b], ids[b * S + k * T + t + 1])
                }
            }
        }
    }

    func testTargetsAreInputsShiftedAndRowsContinue() throws {
        let (B, T) = (3, 4)
        let layout = try StreamLayout(ids: positions(100), batchSize: B, steps: T, role: "training")
        for k in 0..<layout.windowsPerEpoch {
            let (inputs, targets) = window(layout, k)
            for b in 0..<B {
                for t in 0..<(T - 1) {
                    XCTAssertEqual(targets[t * B + b], inputs[(t + 1) * B + b], "k \(k) b \(b) t \(t)")
                }
                guard k > 0 else { continue }
                let previous = window(layout, k - 1)
                let lastInputBefore = previous.inputs[(T - 1) * B + b]
                XCTAssertEqual(inputs[b], lastInputBefore + 1, "row \(b) of window \(k) continues window \(k - 1)")
                XCTAssertEqual(previous.targets[(T - 1) * B + b], inputs[b])
            }
        }
    }

    func testLastWindowStaysInsideIDs() throws {
        // N − 1 = B·S exactly: the last target is the last id.
        let layout = try StreamLayout(ids: positions(25), batchSize: 4, steps: 3, role: "training")
        XCTAssertEqual(layout.streamLength, 6)
        XCTAssertEqual(layout.windowsPerEpoch, 2)
        XCTAssertEqual(window(layout, 1).targets.max(), 24)
    }

    func testMinimumSizeIsOneWindow() throws {
        let (B, T) = (50, 50)
        let layout = try StreamLayout(ids: positions(B * T + 1), batchSize: B, steps: T, role: "training")
        XCTAssertEqual(layout.windowsPerEpoch, 1)
        XCTAssertThrowsError(try StreamLayout(ids: positions(B * T), batchSize: B, steps: T, role: "training")) { error in
            XCTAssertEqual(error as? DataError,
                           .corpusTooSmall(role: "training", have: 2500, need: 2501, batch: 50, steps: 50))
        }
    }

    func testCorpusTooSmallMessages() {
        do {
            _ = try StreamLayout(ids: positions(1000), batchSize: 50, steps: 50, role: "training")
            XCTFail("accepted 1000 ids for 50 × 50")
        } catch {
            let message = error.description
            for part in ["training", "1000", "2501", "--batch", "--seq"] {
                XCTAssertTrue(message.contains(part), "'\(part)' missing from: \(message)")
            }
            XCTAssertFalse(message.contains("--val-frac"))
        }
        do {
            _ = try StreamLayout(ids: positions(10), batchSize: 2, steps: 8, role: "validation")
            XCTFail("accepted 10 ids for 2 × 8")
        } catch {
            let message = error.description
            for part in ["validation", "10", "17", "--val-frac", "--batch", "--seq"] {
                XCTAssertTrue(message.contains(part), "'\(part)' missing from: \(message)")
            }
        }
        XCTAssertThrowsError(try StreamLayout(ids: positions(0), batchSize: 1, steps: 1, role: "validation"))
    }
}
