@testable import CharRNN
import XCTest

/// Ensembles: the mixture's arithmetic, its generator and scorer, its training run, and the rule's members.
final class EnsembleTests: XCTestCase {
    func testTheMixtureLossIsMinusTheLogOfTheMeanProbability() {
        XCTAssertEqual(Mixture.loss([1.25]), 1.25, accuracy: 1e-12)
        XCTAssertEqual(Mixture.loss([0.5, 2.0]), -log((exp(-0.5) + exp(-2.0)) / 2), accuracy: 1e-12)
        XCTAssertEqual(Mixture.loss([3.0, 3.0, 3.0]), 3.0, accuracy: 1e-12)
        // Losses whose probabilities underflow a Double still mix: −log((e⁻¹⁰⁰⁰ + e⁻¹⁰⁰²)/2).
        XCTAssertEqual(Mixture.loss([1000, 1002]), 1000 - log((1 + exp(-2.0)) / 2), accuracy: 1e-9)
        XCTAssertEqual(Mixture.losses([[1, 2], [3, 0.5]]), [Mixture.loss([1, 3]), Mixture.loss([2, 0.5])])
    }

    private func model(seed: UInt64, vocabulary: Int) -> CharRNNModel<Float> {
        CharRNNModel(config: ModelConfig(cell: .lstm, layerCount: 2, hiddenSize: 24, embeddingSize: 8,
                                         vocabularySize: vocabulary), seed: seed)
    }

    private func probabilities(_ logits: UnsafeBufferPointer<Float>) -> [Double] {
        let largest = Double(logits.max()!)
        let e = logits.map { exp(Double($0) - largest) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }

    /// Fed the same characters (and a prime long enough to run in windows), the ensemble's
    /// distribution is the mean of its members', before and after a saved state is restored.
    func testAnEnsembleGeneratorGivesTheMeanOfItsMembersProbabilities() throws {
        let vocabulary = try Vocabulary(symbols: Array("\n abcdefgh").map { String($0) }, tokenization: .scalars)
        let (first, second) = (model(seed: 3, vocabulary: vocabulary.count), model(seed: 4, vocabulary: vocabulary.count))
        let alone = [first, second].map { TextGenerator(model: $0, vocabulary: vocabulary, normalization: .none) }
        let partner = TextGenerator(model: second, vocabulary: vocabulary, normalization: .none)
        let ensemble = TextGenerator(model: first, vocabulary: vocabulary, normalization: .none, partners: [partner])
        XCTAssertEqual(ensemble.memberCount, 2)

        func assertMixed(_ context: String) {
            let mixed = probabilities(ensemble.logits)
            let (p, q) = (probabilities(alone[0].logits), probabilities(alone[1].logits))
            XCTAssertNotEqual(p, q, "the members should disagree")
            for x in mixed.indices {
                XCTAssertEqual(mixed[x], (p[x] + q[x]) / 2, accuracy: 1e-6, "\(context), class \(x)")
            }
        }
        var random = SplitMix64(seed: 9)
        let prime = (0..<300).map { _ in Int32(random.next() % UInt64(vocabulary.count)) }
        for generator in alone + [ensemble] { generator.prime(prime) }
        assertMixed("after a 300-character prime")
        let saved = ensemble.saveState()
        let savedAlone = alone.map { $0.saveState() }
        for id: Int32 in [1, 5, 2, 9] {
            for generator in alone + [ensemble] { generator.feed(id) }
        }
        assertMixed("after four more characters")
        ensemble.restore(saved)
        for (generator, state) in zip(alone, savedAlone) { generator.restore(state) }
        assertMixed("restored")
    }

    private func writeCorpus(in folder: String) throws -> String {
        let corpus = (folder as NSString).appendingPathComponent("corpus.txt")
        try syntheticText(characters: 5000).write(toFile: corpus, atomically: true, encoding: .utf8)
        return corpus
    }

    /// `eval`'s scores of an ensemble are, position by position, the mixture of its members' scores.
    func testEvaluatingAnEnsembleScoresTheMixtureOfItsMembers() throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let corpus = try writeCorpus(in: folder)
        var members: [Checkpoint] = []
        for seed: UInt64 in [1, 2] {
            var options = tinyOptions(corpus: corpus, out: (folder as NSString).appendingPathComponent("m\(seed)"), steps: 15)
            options.seed = seed
            let trainer = try Trainer(options: options)
            _ = try trainer.run { _ in }
            members.append(trainer.checkpoint())
        }
        let text = Array(syntheticText(characters: 400, seed: 7).utf8)
        let mixed = try Evaluator.score(fileBytes: text, path: "text", members: members)
        let alone = try members.map { try Evaluator.score(fileBytes: text, path: "text", checkpoint: $0).losses }
        XCTAssertEqual(mixed.losses.count, alone[0].count)
        XCTAssertNotEqual(alone[0], alone[1])
        for i in mixed.losses.indices {
            XCTAssertEqual(mixed.losses[i], Mixture.loss([alone[0][i], alone[1][i]]), accuracy: 1e-12)
        }
    }

    /// `--ensemble 2`: two members of their own seeds and folders, a manifest whose losses are the
    /// members' best validations and their mixture's, and the best member copied to OUT/best.
    func testAnEnsembleRunTrainsMembersAndScoresTheirMixture() throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let corpus = try writeCorpus(in: folder)
        let out = (folder as NSString).appendingPathComponent("out")
        var options = tinyOptions(corpus: corpus, out: out, steps: 20)
        options.ensemble = 2
        let trainer = try Trainer(options: options)
        XCTAssertEqual(trainer.ensembleMembers, 2)
        var notes: [String] = []
        var bests: [Double] = []
        let summary = try EnsembleTraining(trainer: trainer).run(note: { notes.append($0) }) { event in
            if case .finished(let s) = event { bests.append(s.bestValidationLoss!) }
        }
        XCTAssertEqual(notes.count, 2)
        XCTAssertTrue(notes[1].contains("seed 2"), notes[1])
        XCTAssertEqual(bests.count, 2)
        for (scored, best) in zip(summary.memberValidationLosses, bests) {
            XCTAssertEqual(scored, best, accuracy: 1e-6, "a member's kept checkpoint rescored")
        }
        let mean = bests.reduce(0, +) / 2
        XCTAssertLessThanOrEqual(summary.validationLoss, mean + 1e-9, "a mixture never loses to its members' mean")
        XCTAssertGreaterThanOrEqual(summary.validationLoss, bests.min()! - log(2.0) - 1e-9)

        let manifest = try EnsembleManifest.read(from: summary.manifestPath)
        XCTAssertEqual(manifest.members, ["member-1/best.safetensors.zst", "member-2/best.safetensors.zst"])
        XCTAssertEqual(manifest.validationLoss, summary.validationLoss)
        let loaded = try CheckpointDiscovery.languageModels(summary.manifestPath)
        XCTAssertEqual(loaded.count, 2)
        XCTAssertNotEqual(loaded[0].parameters, loaded[1].parameters, "members of different seeds")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: summary.bestPath)),
                       try Data(contentsOf: URL(fileURLWithPath: summary.bestMemberPath)))
        XCTAssertThrowsError(try Checkpoint.read(from: summary.manifestPath)) { error in
            XCTAssertEqual(error as? CheckpointError,
                           .ensembleNotSupported(path: summary.manifestPath, member: summary.bestMemberPath))
        }

        // A single run into the same folder supersedes the ensemble.
        _ = try Trainer(options: tinyOptions(corpus: corpus, out: out, steps: 2)).run { _ in }
        XCTAssertFalse(FileManager.default.fileExists(atPath: summary.manifestPath))
    }

    /// From an hour, a time budget trains one member per 30 minutes, each the model the rule chooses
    /// for 30 minutes; `--ensemble` wins, and several processes never get an ensemble.
    func testALongTimeBudgetChoosesMembersOfHalfAnHourEach() {
        let speed: (ModelRecipe) -> Double = { recipe in
            2e6 / Double(recipe.layerCount * recipe.hiddenSize * recipe.hiddenSize) * 120
        }
        func choose(_ seconds: Double, _ given: GivenModelFlags = GivenModelFlags(), ensembles: Bool = true) -> BudgetChoice {
            BudgetRule.choose(trainingCharacters: 1_060_000, vocabularySize: 65, budget: .seconds(seconds), given: given,
                              ensembles: ensembles, speed: speed)
        }
        let hour = choose(3600), half = choose(1800)
        XCTAssertEqual(hour.members, 2)
        XCTAssertEqual(half.members, 1)
        XCTAssertEqual(hour.recipe, half.recipe)
        XCTAssertEqual(hour.dropout, half.dropout)
        XCTAssertEqual(hour.budget, .seconds(1800))
        XCTAssertTrue(hour.summary.hasPrefix("--time 1h, an ensemble of 2 members of 30m each, "), hour.summary)
        XCTAssertEqual(choose(3 * 3600).members, BudgetRule.maximumMembers)
        XCTAssertEqual(choose(3600, GivenModelFlags(members: 1)).members, 1)
        XCTAssertEqual(choose(3600, GivenModelFlags(members: 1)).budget, .seconds(3600))
        XCTAssertEqual(choose(3600, ensembles: false).members, 1)
        XCTAssertEqual(choose(1800, GivenModelFlags(members: 3)).budget, .seconds(600))

        // The members take an LSTM and a GRU in turn, unless the user names the cell.
        XCTAssertEqual(hour.memberCells, [.lstm, .gru])
        XCTAssertEqual(half.memberCells, [.lstm])
        XCTAssertEqual(choose(3 * 3600).memberCells, [.lstm, .gru, .lstm, .gru])
        XCTAssertEqual(choose(3600, GivenModelFlags(cell: .lstm)).memberCells, [.lstm, .lstm])
        XCTAssertEqual(choose(3600, GivenModelFlags(cell: .gru)).memberCells, [.gru, .gru])
        XCTAssertTrue(hour.summary.contains("→ LSTM \(hour.recipe.layerCount)×\(hour.recipe.hiddenSize) and GRU "
                                            + "\(hour.recipe.layerCount)×\(hour.recipe.hiddenSize), dropout "), hour.summary)
        XCTAssertTrue(choose(3600, GivenModelFlags(cell: .gru)).summary.contains("→ GRU "))
    }

    /// An ensemble the rule chose trains its second member as a GRU of the first's shape and flags.
    func testAChosenEnsembleTrainsAnLSTMAndAGRU() throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let corpus = try writeCorpus(in: folder)
        var options = TrainingOptions(corpusPath: corpus)
        options.validationFraction = 0.1
        options.budget = .steps(4)
        options.validationEvery = 2
        options.saveEvery = 0
        options.threads = 1
        options.ensemble = 2
        options.budgetChoosesModel = true
        options.outputFolder = (folder as NSString).appendingPathComponent("out")
        let trainer = try Trainer(options: options)
        XCTAssertEqual(trainer.budgetChoice?.memberCells, [.lstm, .gru])
        var notes: [String] = []
        let summary = try EnsembleTraining(trainer: trainer).run(note: { notes.append($0) }) { _ in }
        XCTAssertTrue(notes.contains { $0.hasPrefix("member 2 of 2: GRU, seed ") }, "\(notes)")
        let manifest = try EnsembleManifest.read(from: summary.manifestPath)
        let configs = try (0..<2).map { k in
            try Checkpoint.read(from: manifest.memberPath(k, manifestPath: summary.manifestPath)).config
        }
        XCTAssertEqual(configs.map(\.cell), [.lstm, .gru])
        XCTAssertEqual(configs[0].layerCount, configs[1].layerCount)
        XCTAssertEqual(configs[0].hiddenSize, configs[1].hiddenSize)
        XCTAssertEqual(summary.memberValidationLosses.count, 2)
    }
}
