import XCTest
@testable import CharRNN

final class TrainerTests: XCTestCase {
    var folder = ""
    var corpus = ""

    override func setUp() {
        folder = makeTemporaryFolder()
        corpus = (folder as NSString).appendingPathComponent("corpus.txt")
        try! syntheticText(characters: 6000).write(toFile: corpus, atomically: true, encoding: .utf8)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private func out(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    /// A run stopped after 7 steps and resumed to 20 ends where an uninterrupted run of 20 steps
    /// ends, bit for bit (LSTM with dropout, GRU): the weights, Adam's m, v and step count, the
    /// carried h and c, the best and last validation losses and the dropout seed, in memory and in
    /// the saved checkpoint. The resumed run is given another --seed, so that a dropout seed taken
    /// from the options instead of the checkpoint would differ.
    func testResumeContinuesExactly() throws {
        func bits(_ values: some Sequence<Float>) -> [UInt32] { values.map(\.bitPattern) }
        for (cell, dropout) in [(CellKind.lstm, 0.2), (.gru, 0.0), (.layerNormLSTM, 0.1)] {
            var whole = tinyOptions(corpus: corpus, out: out("whole-\(cell)"), steps: 20)
            whole.cell = cell
            whole.dropout = dropout
            whole.averageDecay = cell == .lstm ? 0.9 : nil
            let uninterrupted = try Trainer(options: whole)
            _ = try uninterrupted.run { _ in }

            var first = whole
            first.outputFolder = out("split-\(cell)")
            first.budget = .steps(7)
            _ = try Trainer(options: first).run { _ in }
            var second = first
            second.budget = .steps(20)
            second.resume = ""
            second.cell = nil
            second.dropout = nil
            second.averageDecay = nil
            second.seed = whole.seed + 1
            let resumed = try Trainer(options: second)
            XCTAssertEqual(resumed.step, 7)
            XCTAssertEqual(resumed.adam.stepCount, 7)
            _ = try resumed.run { _ in }

            let name = "\(cell)"
            XCTAssertEqual(resumed.step, 20, name)
            XCTAssertEqual(resumed.step, uninterrupted.step, name)
            XCTAssertEqual(resumed.adam.stepCount, uninterrupted.adam.stepCount, name)
            XCTAssertEqual(bits(resumed.model.parameters), bits(uninterrupted.model.parameters), name)
            XCTAssertEqual(bits(resumed.adam.m), bits(uninterrupted.adam.m), name)
            XCTAssertEqual(bits(resumed.adam.v), bits(uninterrupted.adam.v), name)
            XCTAssertEqual(bits(resumed.replicas.exportState(cell: false)),
                           bits(uninterrupted.replicas.exportState(cell: false)), name)
            if cell.carriesCellState {
                XCTAssertEqual(bits(resumed.replicas.exportState(cell: true)),
                               bits(uninterrupted.replicas.exportState(cell: true)), name)
            }
            XCTAssertNotNil(uninterrupted.bestValidationLoss, name)
            XCTAssertEqual(resumed.bestValidationLoss, uninterrupted.bestValidationLoss, name)
            XCTAssertEqual(resumed.lastValidationLoss, uninterrupted.lastValidationLoss, name)
            XCTAssertEqual(resumed.replicas.dropoutSeed, uninterrupted.replicas.dropoutSeed, name)

            // The saved checkpoints hold the same.
            let a = try Checkpoint.read(from: out("split-\(cell)/latest.safetensors.zst"))
            let b = try Checkpoint.read(from: out("whole-\(cell)/latest.safetensors.zst"))
            XCTAssertEqual(bits(a.parameters), bits(b.parameters), name)
            XCTAssertEqual(a.adamM.map(bits), b.adamM.map(bits), name)
            XCTAssertEqual(a.adamV.map(bits), b.adamV.map(bits), name)
            XCTAssertEqual(a.stateH.map(bits), b.stateH.map(bits), name)
            XCTAssertEqual(a.stateC.map(bits), b.stateC.map(bits), name)
            XCTAssertEqual(a.training?.step, 20, name)
            XCTAssertEqual(a.training?.step, b.training?.step, name)
            XCTAssertEqual(a.training?.window, b.training?.window, name)
            XCTAssertEqual(a.training?.dropoutSeed, b.training?.dropoutSeed, name)
            XCTAssertEqual(a.training?.bestValidationLoss, b.training?.bestValidationLoss, name)
            XCTAssertEqual(a.averaged.map(bits), b.averaged.map(bits), name)
            XCTAssertEqual(b.averaged != nil, cell == .lstm, name)
            XCTAssertEqual(a.training?.averageDecay, whole.averageDecay, name)
        }
    }

    /// With `--ema`, each validation scores the weight average and the weights as trained and keeps the
    /// lower as the loss and in `best`, while training goes on from the weights as trained: those end
    /// bit for bit where a run without the average ends, and `latest` saves both. Two runs, one whose
    /// average (the mean of a fast start) loses by 0.017, one whose average (smoothing a high rate over
    /// 300 steps) wins by 0.17.
    func testWeightAverageIsScoredAndKeptWithoutChangingTraining() throws {
        var kept: [Bool] = []
        for (name, decay, rate, steps) in [("slow", 0.99, 2e-3, 12), ("smooth", 0.95, 1e-1, 300)] {
            var plain = tinyOptions(corpus: corpus, out: out("plain-\(name)"), steps: steps)
            plain.validationEvery = 0
            plain.dropout = 0.1
            plain.learningRate = rate
            let withoutAverage = try Trainer(options: plain)
            _ = try withoutAverage.run { _ in }

            var averaged = plain
            averaged.outputFolder = out("averaged-\(name)")
            averaged.averageDecay = decay
            let trainer = try Trainer(options: averaged)
            var reported: [(loss: Double, averaging: AveragedValidation?)] = []
            _ = try trainer.run { event in
                if case .validated(_, let loss, _, _, let averaging) = event { reported.append((loss, averaging)) }
            }
            XCTAssertEqual(Array(trainer.model.parameters), Array(withoutAverage.model.parameters), name)
            XCTAssertEqual(reported.count, 1, name)
            let scores = try XCTUnwrap(reported.first?.averaging, name)
            XCTAssertEqual(scores.asTrained, trainer.validate(), name)
            XCTAssertEqual(scores.asTrained, withoutAverage.bestValidationLoss, name)
            trainer.average!.exchange(with: trainer.model.parameters)
            XCTAssertEqual(scores.averaged, trainer.validate(), name)
            trainer.average!.exchange(with: trainer.model.parameters)
            XCTAssertEqual(reported.first?.loss, min(scores.averaged, scores.asTrained), name)
            XCTAssertEqual(trainer.bestValidationLoss, reported.first?.loss, name)
            XCTAssertGreaterThan(abs(scores.averaged - scores.asTrained), 1e-3, name)

            let latest = try Checkpoint.read(from: out("averaged-\(name)/latest.safetensors.zst"))
            let best = try Checkpoint.read(from: out("averaged-\(name)/best.safetensors.zst"))
            let average = try XCTUnwrap(latest.averaged, name)
            XCTAssertEqual(latest.parameters, Array(trainer.model.parameters), name)
            XCTAssertNotEqual(average, latest.parameters, name)
            XCTAssertEqual(best.parameters, scores.keepsAverage ? average : latest.parameters, name)
            XCTAssertTrue(best.averaged == nil || !scores.keepsAverage, name)
            var exported = latest
            exported.dropTrainingState()
            XCTAssertTrue(exported.averaged == nil, "export --weights-only keeps the average: \(name)")
            kept.append(scores.keepsAverage)
        }
        XCTAssertEqual(kept, [false, true], "the slow average should lose, the smoothing one win")
    }

    /// Two replicas splitting the streams on two threads train like one network, up to float
    /// summation order (and identically from run to run).
    func testReplicasTrainLikeOneNetwork() throws {
        var one = tinyOptions(corpus: corpus, out: out("one"), steps: 15)
        one.dropout = 0.1
        var two = one
        two.outputFolder = out("two")
        two.threads = 2
        let a = try Trainer(options: one), b = try Trainer(options: two)
        XCTAssertEqual(b.replicas.networks.count, 2)
        _ = try a.run { _ in }
        _ = try b.run { _ in }
        let difference = zip(a.model.parameters, b.model.parameters).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(difference, 1e-4)
        var again = two
        again.outputFolder = out("again")
        let c = try Trainer(options: again)
        _ = try c.run { _ in }
        XCTAssertEqual(Array(c.model.parameters), Array(b.model.parameters))
    }

    /// Everything saved comes back: every tensor bit for bit, every metadata field.
    func testCheckpointRoundTrip() throws {
        var options = tinyOptions(corpus: corpus, out: out("ck"), steps: 6)
        options.cell = .gru
        options.gruVariant = .resetAfter
        options.dropout = 0.1
        let trainer = try Trainer(options: options)
        _ = try trainer.run { _ in }
        let saved = trainer.checkpoint()
        let path = out("ck/latest.safetensors.zst")
        let loaded = try Checkpoint.read(from: path)

        XCTAssertEqual(loaded.config, saved.config)
        XCTAssertEqual(loaded.config.gruVariant, .resetAfter)
        XCTAssertEqual(loaded.vocabulary, trainer.corpus.vocabulary)
        XCTAssertEqual(loaded.normalization, .none)
        XCTAssertEqual(loaded.training, saved.training)
        XCTAssertEqual(loaded.training?.step, 6)
        XCTAssertEqual(loaded.training?.corpus, trainer.corpus.fingerprint)
        XCTAssertEqual(loaded.parameters.map(\.bitPattern), saved.parameters.map(\.bitPattern))
        XCTAssertEqual(loaded.adamM?.map(\.bitPattern), saved.adamM?.map(\.bitPattern))
        XCTAssertEqual(loaded.adamV?.map(\.bitPattern), saved.adamV?.map(\.bitPattern))
        XCTAssertEqual(loaded.stateH, saved.stateH)
        XCTAssertNil(loaded.stateC, "a GRU has no cell state")
        XCTAssertGreaterThan(loaded.uncompressedSize, loaded.compressedSize)

        // The metadata follows the format contract exactly.
        let bytes = try ZstdFrame.decompress(try AtomicFile.readAll(path: path), path: path, limit: 1 << 30)
        let file = try SafetensorsFile(bytes: bytes, path: path)
        XCTAssertEqual(file.metadata["format"], "charnn-1")
        let config = try JSONSerialization.jsonObject(with: Data(file.metadata["config"]!.utf8)) as! [String: Any]
        XCTAssertEqual(Set(config.keys), ["cell", "gru_variant", "layers", "hidden", "embed", "dropout", "tokenizer", "normalize",
                                          "bidirectional", "task"])
        XCTAssertEqual(config["bidirectional"] as? Bool, false)
        XCTAssertEqual(config["task"] as? String, "lm")
        XCTAssertEqual(config["cell"] as? String, "gru")
        XCTAssertEqual(config["gru_variant"] as? String, "reset-after")
        XCTAssertEqual(config["hidden"] as? Int, 12)
        let vocab = try JSONSerialization.jsonObject(with: Data(file.metadata["vocab"]!.utf8)) as! [String]
        XCTAssertEqual(vocab, trainer.corpus.vocabulary.symbols)
        XCTAssertEqual(file.entries["rnn.weight_hh_l1"]?.shape, [36, 12])
        XCTAssertEqual(file.entries["optimizer.m.decoder.bias"]?.shape, [trainer.corpus.vocabulary.count])
    }

    /// `--steps 0` saves the initial model with zero Adam moments; the LSTM config has no gru_variant.
    func testStepsZeroSavesTheInitialModel() throws {
        let options = tinyOptions(corpus: corpus, out: out("zero"), steps: 0)
        let trainer = try Trainer(options: options)
        let initial = Array(trainer.model.parameters)
        _ = try trainer.run { _ in }
        let loaded = try Checkpoint.read(from: out("zero/latest.safetensors.zst"))
        XCTAssertEqual(loaded.parameters, initial)
        XCTAssertEqual(loaded.training?.step, 0)
        XCTAssertTrue(loaded.adamM!.allSatisfy { $0 == 0 } && loaded.adamV!.allSatisfy { $0 == 0 })
        let fresh = CharRNNModel<Float>(config: loaded.config, seed: 1)
        XCTAssertEqual(Array(fresh.parameters), initial, "initial weights depend on the seed and architecture only")
    }

    /// Training lowers the loss, and validation improves on the initial model.
    func testTrainingLearns() throws {
        var options = tinyOptions(corpus: corpus, out: out("learn"), steps: 150)
        options.hiddenSize = 32
        options.validationEvery = 150
        options.learningRate = 1e-2
        let trainer = try Trainer(options: options)
        let before = trainer.validate()
        let summary = try trainer.run { _ in }
        XCTAssertLessThan(summary.bestValidationLoss!, before - 0.5)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out("learn/best.safetensors.zst")))
        let csv = try String(contentsOfFile: out("learn/metrics.csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("step,epoch,lr,train_loss,val_loss,grad_norm,chars_per_s,elapsed_s\n"))
        let svg = try String(contentsOfFile: out("learn/loss.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg") && svg.contains("bits per character") && svg.contains("<polyline"))
    }

    /// Resume refuses other architectures (listing the differences) and other corpora (unless forced).
    func testResumeRefusesMismatches() throws {
        _ = try Trainer(options: tinyOptions(corpus: corpus, out: out("m"), steps: 3)).run { _ in }
        var other = tinyOptions(corpus: corpus, out: out("m"), steps: 6)
        other.resume = ""
        other.hiddenSize = 20
        other.layerCount = 3
        XCTAssertThrowsError(try Trainer(options: other)) { error in
            guard case TrainingError.architectureMismatch(_, let differences) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(differences.count, 2)
            XCTAssertTrue(differences.joined().contains("--hidden 20") && differences.joined().contains("--layers 3"))
        }
        let changed = (folder as NSString).appendingPathComponent("changed.txt")
        var text = try String(contentsOfFile: corpus, encoding: .utf8)
        text = String(text.reversed())
        try text.write(toFile: changed, atomically: true, encoding: .utf8)
        var moved = tinyOptions(corpus: changed, out: out("m"), steps: 6)
        moved.resume = ""
        XCTAssertThrowsError(try Trainer(options: moved)) { error in
            guard case TrainingError.corpusMismatch = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("--force"))
        }
        moved.force = true
        XCTAssertNoThrow(try Trainer(options: moved))
    }

    /// A diverging run stops with the step and advice, and keeps the last good checkpoint.
    func testDivergenceStops() throws {
        var options = tinyOptions(corpus: corpus, out: out("nan"), steps: 3)
        _ = try Trainer(options: options).run { _ in }
        let before = try AtomicFile.readAll(path: out("nan/latest.safetensors.zst"))
        options.resume = ""
        options.budget = .steps(10)
        let trainer = try Trainer(options: options)
        trainer.model.parameters[0] = .nan  // a poisoned weight: the next loss is NaN
        XCTAssertThrowsError(try trainer.run { _ in }) { error in
            guard case TrainingError.diverged(let step, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(step, 4)
            XCTAssertTrue("\(error)".contains("--lr"))
        }
        XCTAssertEqual(try AtomicFile.readAll(path: out("nan/latest.safetensors.zst")), before)
    }
}

/// Validation split over two networks running at once scores what one network over every stream does.
final class SplitValidationTests: XCTestCase {
    func testTwoPartsScoreWhatOneNetworkScores() throws {
        var generator = SplitMix64(seed: 9)
        let ids = CorpusIDs((0..<4_001).map { _ in Int32(generator.next() % 17) }, vocabularySize: 17)
        for cell in [CellKind.lstm, .gru] {
            let config = ModelConfig(cell: cell, layerCount: 2, hiddenSize: 24, embeddingSize: 5, vocabularySize: 17)
            let model = CharRNNModel<Float>(config: config, seed: 3)
            let source = WindowSource(layout: try StreamLayout(ids: ids, batchSize: 8, steps: 20, role: "validation"),
                                      degradedForm: nil)
            let vocabulary = try Vocabulary(symbols: (0..<17).map { String(UnicodeScalar(UInt8(97 + $0))) },
                                            tokenization: .scalars)
            func validator(parts: Int) -> Validator {
                Validator(source: source, model: model, vocabulary: vocabulary, streams: 0..<8, totalStreams: 8,
                          group: .single, parts: parts)
            }
            let one = validator(parts: 1), two = validator(parts: 2), three = validator(parts: 3)
            XCTAssertEqual(one.networks.count, 1)
            XCTAssertEqual(two.networks.count, 2)
            XCTAssertEqual(three.networks.count, 1, "8 streams do not split in 3: one network")
            let whole = one.run().loss
            XCTAssertGreaterThan(whole, 1, "an untrained model's loss")
            XCTAssertEqual(two.run().loss, whole, accuracy: 1e-6 * whole, "\(cell)")
            XCTAssertEqual(two.run().loss, two.run().loss, "a second run starts from the same state")
            XCTAssertEqual(three.run().loss, whole)
        }
    }
}
