@testable import CharRNN
import XCTest

/// The budget rule of `charnn train --time/--steps`, with speeds given instead of measured.
final class BudgetRuleTests: XCTestCase {
    /// Characters per second of a recipe on a made-up machine: inversely proportional to its
    /// recurrent FLOPs per character, `scale` at LSTM 2×128.
    func speed(scale: Double) -> (ModelRecipe) -> Double {
        { recipe in
            let flops = Double(recipe.layerCount * recipe.hiddenSize * recipe.hiddenSize)
            return scale * Double(2 * 128 * 128) / flops
        }
    }

    func testASmallCorpusAndAShortBudgetChooseASmallModel() {
        let choice = BudgetRule.choose(trainingCharacters: 20_000, vocabularySize: 60, budget: .seconds(60),
                                       given: GivenModelFlags(), speed: speed(scale: 100_000))
        XCTAssertEqual(choice.recipe, BudgetRule.ladder[0].recipe)
        guard case .tooLargeForCorpus = choice.candidates[1].verdict else {
            return XCTFail("the second rung should be too large for 20k characters: \(choice.candidates[1].verdict)")
        }
        XCTAssertTrue(choice.candidates.dropFirst(2).allSatisfy { $0.verdict == .notMeasured })

        // 999 validation characters hold fewer streams of 50.
        let short = BudgetRule.choose(trainingCharacters: 20_000, validationCharacters: 999, vocabularySize: 60,
                                      budget: .seconds(60), given: GivenModelFlags(), speed: speed(scale: 100_000))
        XCTAssertEqual(short.recipe.seq, 50)
        XCTAssertEqual(short.recipe.batch, 19)
        let shorter = BudgetRule.choose(trainingCharacters: 20_000, validationCharacters: 30, vocabularySize: 60,
                                        budget: .seconds(60), given: GivenModelFlags(batch: 4), speed: speed(scale: 100_000))
        XCTAssertEqual(shorter.recipe.batch, 4, "a given batch is kept")
        XCTAssertEqual(shorter.recipe.seq, 7)
    }

    func testALargeCorpusAndALongBudgetClimbTheLadder() {
        let choice = BudgetRule.choose(trainingCharacters: 50_000_000, vocabularySize: 100, budget: .seconds(4 * 3600),
                                       given: GivenModelFlags(), speed: speed(scale: 300_000))
        XCTAssertEqual(choice.recipe, BudgetRule.ladder.last!.recipe)
        XCTAssertEqual(choice.candidates.filter { $0.verdict == .chosen }.count, 1)
        XCTAssertTrue(choice.candidates.dropLast().allSatisfy { $0.verdict == .smallerThanChosen })
    }

    /// The same budget on a machine ten times slower buys a smaller model, and the rule stops timing
    /// at the first model the budget is too short for.
    func testASlowerMachineChoosesSmallerAndStopsTiming() {
        let corpus = 1_060_000
        let fast = BudgetRule.choose(trainingCharacters: corpus, vocabularySize: 65, budget: .seconds(1800),
                                     given: GivenModelFlags(), speed: speed(scale: 120_000))
        var timed: [ModelRecipe] = []
        let slowSpeed = speed(scale: 12_000)
        let slow = BudgetRule.choose(trainingCharacters: corpus, vocabularySize: 65, budget: .seconds(1800),
                                     given: GivenModelFlags()) { timed.append($0); return slowSpeed($0) }
        let size = { (r: ModelRecipe) in r.layerCount * r.hiddenSize * r.hiddenSize }
        XCTAssertLessThan(size(slow.recipe), size(fast.recipe))
        let failed = slow.candidates.firstIndex { if case .tooSlowForBudget = $0.verdict { return true }; return false }
        XCTAssertNotNil(failed)
        XCTAssertEqual(timed.count, failed! + 1, "timed past the first model the budget is too short for")
    }

    /// The speeds a Zen 3 timed (2026-12-07, `--explain`): 30 minutes buy 2×512 (6.5k chars/s,
    /// 11.2 M characters: over its 7.5 M rung, under the 12 M it had) and 5 minutes 2×128 (2×256 at
    /// 17.4k has 5 M characters, under its 9 M), the choices that met 1.50 and 1.58 there.
    func testTheZen3SpeedsChooseWhatMetTheTargets() {
        let measured: [Int: Double] = [128 * 1: 176_400, 128 * 2: 68_900, 256 * 2: 25_400, 512 * 2: 6_500]
        let speed = { (r: ModelRecipe) in measured[r.hiddenSize * r.layerCount] ?? 1 }
        let thirty = BudgetRule.choose(trainingCharacters: 1_059_601, validationCharacters: 55_769, vocabularySize: 65,
                                       budget: .seconds(1800), given: GivenModelFlags(), speed: speed)
        XCTAssertEqual(thirty.recipe.label, "LSTM 2×512")
        XCTAssertEqual(thirty.dropout, 0.3)
        let five = BudgetRule.choose(trainingCharacters: 1_059_601, validationCharacters: 55_769, vocabularySize: 65,
                                     budget: .seconds(300), given: GivenModelFlags()) { r in
            r.hiddenSize == 256 ? 17_400 : r.hiddenSize == 128 && r.layerCount == 2 ? 110_800 : 208_400
        }
        XCTAssertEqual(five.recipe.label, "LSTM 2×128")
        XCTAssertEqual(five.dropout, 0.1)
    }

    func testTheUsersFlagsAreKeptAndTheRestChosenAroundThem() {
        let given = GivenModelFlags(cell: .gru, hiddenSize: 300, dropout: 0.4, learningRate: 1e-3)
        let choice = BudgetRule.choose(trainingCharacters: 5_000_000, vocabularySize: 80, budget: .seconds(3600),
                                       given: given, speed: speed(scale: 120_000))
        XCTAssertEqual(choice.recipe.cell, .gru)
        XCTAssertEqual(choice.recipe.hiddenSize, 300)
        XCTAssertEqual(choice.dropout, 0.4)
        XCTAssertEqual(choice.learningRate, 1e-3)
        XCTAssertGreaterThan(choice.recipe.layerCount, 1, "the layers are still chosen")
        // Rungs that differ only in the given flag collapse into one candidate.
        let recipes = choice.candidates.map(\.recipe)
        XCTAssertEqual(recipes.count, Set(recipes.map { "\($0)" }).count)

        var options = TrainingOptions(corpus: ["x"])
        options.layerCount = 1
        options.schedule = .step
        let taken = options.taking(choice)
        XCTAssertEqual(taken.layerCount, 1)
        XCTAssertEqual(taken.hiddenSize, 300)
        XCTAssertEqual(taken.schedule, .step, "a given schedule is kept")
        XCTAssertEqual(TrainingOptions(corpus: ["x"]).taking(choice).schedule, .cosine)
        XCTAssertEqual(taken.lockedDropout, true, "dropout is chosen with locked masks")
        options.lockedDropout = false
        XCTAssertEqual(options.taking(choice).lockedDropout, false, "--no-locked-dropout is kept")
    }

    func testAStepBudgetNeedsNoTiming() {
        let choice = BudgetRule.choose(trainingCharacters: 1_000_000, vocabularySize: 65, budget: .steps(3000),
                                       given: GivenModelFlags()) { _ in XCTFail("timed a step budget"); return 1 }
        let chosen = choice.candidates.first { $0.verdict == .chosen }!
        XCTAssertEqual(chosen.charactersInBudget, Double(3000 * chosen.recipe.batch * chosen.recipe.seq))
        XCTAssertNil(chosen.charactersPerSecond)
    }

    func testThePlanLineNamesTheChoiceAndWhy() {
        var choice = BudgetRule.choose(trainingCharacters: 1_060_000, vocabularySize: 65, budget: .seconds(1800),
                                       given: GivenModelFlags(), speed: speed(scale: 120_000))
        choice.measuringSeconds = 2.5
        let line = choice.summary
        XCTAssertTrue(line.hasPrefix("--time 30m, 1.06 M training characters, "), line)
        XCTAssertTrue(line.contains("→ \(choice.recipe.label), dropout "), line)
        XCTAssertTrue(line.contains("chars/s at \(choice.recipe.label)"), line)
        XCTAssertTrue(line.hasSuffix(", --ema \(BudgetChoice.decimal(BudgetRule.weightAverageDecay)) (speeds timed in 2.5 s)"), line)
        XCTAssertEqual(choice.explanation.count, choice.candidates.count)
        XCTAssertEqual(choice.explanation.filter { $0.hasSuffix("— chosen") }.count, 1)
    }

    /// A chosen run validates a weight average too, unless the user's `--ema` says otherwise (0: off).
    func testTheChoiceAveragesTheWeightsUnlessTheUserSaysOtherwise() {
        let choice = BudgetRule.choose(trainingCharacters: 1_060_000, vocabularySize: 65, budget: .steps(2000),
                                       given: GivenModelFlags()) { _ in 1 }
        var options = TrainingOptions(corpusPath: "c.txt")
        XCTAssertEqual(options.taking(choice).averageDecay, BudgetRule.weightAverageDecay)
        options.averageDecay = 0
        XCTAssertEqual(options.taking(choice).averageDecay, 0)
        options.averageDecay = 0.995
        XCTAssertEqual(options.taking(choice).averageDecay, 0.995)
    }

    func testDropoutGrowsWithTheEpochsAndTheParametersPerCharacterAndIsBounded() {
        let dropout = { (epochs: Double, parameters: Int) in
            BudgetRule.dropout(epochs: epochs, parameters: parameters, trainingCharacters: 1_000_000)
        }
        XCTAssertEqual(dropout(17.5, 244_000), 0, "a small model on tinyshakespeare for 17.5 epochs")
        XCTAssertEqual(dropout(16, 3_300_000), 0.35)
        XCTAssertEqual(dropout(1_000, 3_300_000), 0.5)
        XCTAssertEqual(dropout(0.5, 3_300_000), 0)
        let byEpochs = stride(from: 1.0, to: 200, by: 3).map { dropout($0, 1_000_000) }
        XCTAssertEqual(byEpochs, byEpochs.sorted())
        let bySize = stride(from: 100_000, to: 10_000_000, by: 300_000).map { dropout(20, $0) }
        XCTAssertEqual(bySize, bySize.sorted())
    }

    /// A small corpus for many epochs (Truyện Kiều for 5 minutes: 378 epochs of 2×128) gets
    /// DropConnect and embedding dropout on top of dropout at its bound, said on the plan line; a
    /// corpus the budget sees fewer times does not; a user's `--weight-dropout` is kept.
    func testASmallCorpusSeenManyTimesGetsDropConnectAndEmbeddingDropout() {
        let small = BudgetRule.choose(trainingCharacters: 97_600, vocabularySize: 134, budget: .steps(15_000),
                                      given: GivenModelFlags()) { _ in 1 }
        XCTAssertEqual(small.recipe.label, "LSTM 2×128")
        XCTAssertEqual(small.dropout, 0.5)
        XCTAssertEqual(small.weightDropout, 0.5)
        XCTAssertEqual(small.embeddingDropout, 0.1)
        XCTAssertTrue(small.summary.contains("dropout 0.5 (locked), DropConnect 0.5, embedding dropout 0.1, batch 50"),
                      small.summary)
        var options = TrainingOptions(corpusPath: "x")
        options = options.taking(small)
        XCTAssertEqual(options.weightDropout, 0.5)
        XCTAssertEqual(options.embeddingDropout, 0.1)

        let large = BudgetRule.choose(trainingCharacters: 1_060_000, vocabularySize: 65, budget: .steps(7_000),
                                      given: GivenModelFlags()) { _ in 1 }
        XCTAssertLessThan(large.dropout, 0.5)
        XCTAssertEqual(large.weightDropout, 0)
        XCTAssertEqual(large.embeddingDropout, 0)
        XCTAssertFalse(large.summary.contains("DropConnect"), large.summary)
        XCTAssertNil(TrainingOptions(corpusPath: "x").taking(large).weightDropout, "no DropConnect flag when none is chosen")

        let kept = BudgetRule.choose(trainingCharacters: 97_600, vocabularySize: 134, budget: .steps(15_000),
                                     given: GivenModelFlags(weightDropout: 0.2)) { _ in 1 }
        XCTAssertEqual(kept.weightDropout, 0.2)
        XCTAssertEqual(kept.embeddingDropout, 0.1)
    }
}

/// The candidates' timing: a span of seconds adds steps past the minimum, up to the limit.
final class StepTimingTests: XCTestCase {
    func timed(steps: Int, span: Double, limit: Int) -> [Double] {
        let config = ModelConfig(cell: .lstm, layerCount: 1, hiddenSize: 8, embeddingSize: 4, vocabularySize: 5)
        return timeTrainingSteps(config: config, batch: 2, seq: 3, steps: steps, warmup: 1, threads: 1, seed: 1,
                                 span: span, stepLimit: limit).wall
    }

    func testASpanTimesMoreStepsUpToTheLimit() {
        XCTAssertEqual(timed(steps: 3, span: 0, limit: 25).count, 3, "no span: the steps asked")
        XCTAssertEqual(timed(steps: 3, span: 1e-12, limit: 25).count, 3, "a span shorter than a step")
        XCTAssertEqual(timed(steps: 3, span: 1e6, limit: 9).count, 9, "a long span stops at the limit")
        XCTAssertEqual(BudgetRule.timingSpan(budget: .seconds(1800)), 3.6, accuracy: 1e-12)
        XCTAssertEqual(BudgetRule.timingSpan(budget: .seconds(60)), 0.5)
        XCTAssertEqual(BudgetRule.timingSpan(budget: .seconds(36_000)), 5)
        XCTAssertEqual(BudgetRule.timingSpan(budget: .steps(100)), 0)
        XCTAssertEqual([3, 1, 2].map(Double.init).median, 2)
        XCTAssertEqual([4, 1, 3, 2].map(Double.init).median, 2.5)
    }
}
