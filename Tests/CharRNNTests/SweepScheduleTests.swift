import XCTest
@testable import CharRNN

/// Successive halving's arithmetic and the grid's expansion.
final class SweepScheduleTests: XCTestCase {
    func testRungsShrinkByEtaAndSpendTheWholeBudget() {
        let schedule = SuccessiveHalving(trialCount: 8, eta: 3, total: 400)
        XCTAssertEqual(schedule.trialsPerRung, [8, 3, 1])
        // b_0 = 400 / (8·1 + 3·(3 − 1) + 1·(9 − 3)) = 20
        XCTAssertEqual(schedule.cumulativeBudgets, [20, 60, 180])
        let spent = schedule.trialsPerRung.indices.reduce(0.0) { $0 + Double(schedule.trialsPerRung[$1]) * schedule.increment(rung: $1) }
        XCTAssertEqual(spent, 400, accuracy: 1e-9)

        XCTAssertEqual(SuccessiveHalving(trialCount: 27, eta: 3, total: 1).trialsPerRung, [27, 9, 3, 1])
        XCTAssertEqual(SuccessiveHalving(trialCount: 6, eta: 6, total: 12).trialsPerRung, [6, 1])
        XCTAssertEqual(SuccessiveHalving(trialCount: 1, eta: 3, total: 50).cumulativeBudgets, [50])
    }

    func testTheBestOfARungArePromotedAndMissingScoresLast() {
        let schedule = SuccessiveHalving(trialCount: 8, eta: 3, total: 400)
        let scores: [(trial: Int, score: Double?)] = [(0, 2.0), (1, nil), (2, 1.5), (3, 1.9), (4, 1.5), (5, 3.0),
                                                      (6, 2.5), (7, 1.0)]
        XCTAssertEqual(schedule.promoted(rung: 0, scores: scores), [2, 4, 7])  // 1.0, then the 1.5 tie
        XCTAssertEqual(schedule.promoted(rung: 1, scores: [(2, nil), (4, nil), (7, 9.0)]), [7])
        XCTAssertEqual(schedule.promoted(rung: 1, scores: [(2, nil), (4, nil), (7, nil)]), [2])
        XCTAssertEqual(schedule.promoted(rung: 2, scores: [(7, 1.0)]), [], "nothing follows the last rung")
    }

    func testGridOrderAndSeededSamples() {
        let grid = SweepGrid(axes: [.init(flag: "layers", values: ["1", "2"]), .init(flag: "lr", values: ["1e-3", "2e-3", "4e-3"])])
        XCTAssertEqual(grid.size, 6)
        XCTAssertEqual(grid.configuration(0), ["--layers", "1", "--lr", "1e-3"])
        XCTAssertEqual(grid.configuration(1), ["--layers", "1", "--lr", "2e-3"])
        XCTAssertEqual(grid.configuration(5), ["--layers", "2", "--lr", "4e-3"])
        XCTAssertEqual(grid.configurations(samples: nil, seed: 1).count, 6)
        XCTAssertEqual(grid.configurations(samples: 9, seed: 1).count, 6)

        let drawn = grid.configurations(samples: 4, seed: 7)
        XCTAssertEqual(drawn.count, 4)
        XCTAssertEqual(Set(drawn.map { $0.joined(separator: " ") }).count, 4, "draws are distinct")
        XCTAssertEqual(drawn.map { $0.joined() }, grid.configurations(samples: 4, seed: 7).map { $0.joined() })
        let others = (1...20).map { grid.configurations(samples: 4, seed: UInt64($0)).map { $0.joined() } }
        XCTAssertGreaterThan(Set(others).count, 1, "the seed chooses the draws")
    }

    /// A trial's `charnn train` gives every flag the budget rule would otherwise choose: the grid's
    /// value where it has one, the default elsewhere, and a constant schedule.
    func testTrialsLeaveTheBudgetRuleNothingToChoose() {
        let grid = SweepGrid(axes: [.init(flag: "hidden", values: ["64"])])
        let state = SweepState(corpus: ["c.txt"], grid: grid, common: ["--dropout", "0.2"], budget: .steps(total: 90), eta: 3,
                               seed: 1, trials: [.init(id: 0, flags: ["--hidden", "64"])])
        let runner = SweepRunner(folder: makeTemporaryFolder(), state: state, executable: "charnn", jobs: 1,
                                 threadsPerJob: 1, report: { _ in })
        let arguments = runner.trainArguments(trial: state.trials[0], rung: 0)
        func values(_ flag: String) -> [String] {
            arguments.indices.filter { arguments[$0] == flag }.map { arguments[$0 + 1] }
        }
        XCTAssertEqual(values("--hidden"), ["64"])
        XCTAssertEqual(values("--dropout"), ["0.2"])
        XCTAssertEqual(values("--layers"), [String(TrainingDefaults.layerCount)])
        XCTAssertEqual(values("--lr"), [String(TrainingDefaults.learningRate)])
        XCTAssertEqual(values("--schedule"), ["constant"])
        for flag in ["--cell", "--batch", "--seq"] { XCTAssertEqual(values(flag).count, 1, flag) }
    }

    func testValidationCurvesOfResumedRunsAreOffset() {
        let csv = """
            step,epoch,lr,train_loss,val_loss,grad_norm,chars_per_s,elapsed_s
            10,0.1,0.002,3.0,2.0,1,100,1.50
            20,0.2,0.002,2.9,,1,100,3.00
            30,0.3,0.002,2.8,1.5,1,100,0.80
            """
        let curve = SweepReport.validationCurve(csv: csv)
        XCTAssertEqual(curve.count, 2)
        XCTAssertEqual(curve[0].0, 1.5, accuracy: 1e-9)
        XCTAssertEqual(curve[1].0, 3.8, accuracy: 1e-9, "the second run starts where the first ended")
        XCTAssertEqual(curve[1].1, 1.5 / log(2.0), accuracy: 1e-9)
    }
}
