import XCTest
@testable import CharRNN

/// The merge of options, a resumed checkpoint and the defaults, and the resume compatibility check:
/// pure functions, checked without a corpus or a file.
final class RunConfigurationTests: XCTestCase {
    private let vocabulary = try! Vocabulary(symbols: ["\n", " ", "a", "b", "c"], tokenization: .scalars)
    private let fingerprint = CorpusFingerprint(byteCount: 100, hash: "fnv1a64:0000000000000001")

    /// A saved GRU run whose every choice differs from the defaults.
    private func savedRun(task: TrainingTask = .lm, bidirectional: Bool = false) -> Checkpoint {
        let config = ModelConfig(cell: .gru, gruVariant: .resetAfter, layerCount: 3, hiddenSize: 24, embeddingSize: 7,
                                 vocabularySize: vocabulary.count, dropout: 0.25, bidirectional: bidirectional)
        let record = TrainingRecord(
            step: 40, epoch: 2, window: 0, windowsPerEpoch: 20, batch: 8, seq: 16, validationFraction: 0.1, seed: 77,
            dropoutSeed: 5, learningRate: 1e-3, schedule: "constant", lrDecay: 0.97, lrDecayAfter: 10, warmupSteps: 0,
            totalSteps: nil, clip: 5, adam: Adam.Settings(), bestValidationLoss: 1.5, corpus: fingerprint)
        return Checkpoint(config: config, vocabulary: vocabulary, normalization: .nfc, task: task, training: record,
                          parameters: [Float](repeating: 0, count: ParameterLayout(config).totalCount))
    }

    func testFreshRunTakesTheDefaults() throws {
        let run = try RunConfiguration(options: TrainingOptions(corpusPath: "c.txt"))
        XCTAssertEqual(run.cell, TrainingDefaults.cell)
        XCTAssertEqual(run.gruVariant, TrainingDefaults.gruVariant)
        XCTAssertEqual(run.layerCount, TrainingDefaults.layerCount)
        XCTAssertEqual(run.hiddenSize, TrainingDefaults.hiddenSize)
        XCTAssertEqual(run.embeddingSize, TrainingDefaults.embeddingSize)
        XCTAssertEqual(run.dropout, TrainingDefaults.dropout)
        XCTAssertEqual(run.batch, TrainingDefaults.batch)
        XCTAssertEqual(run.seq, TrainingDefaults.seq)
        XCTAssertEqual(run.validationFraction, TrainingDefaults.validationFraction)
        XCTAssertEqual(run.task, .lm)
        XCTAssertEqual(run.tokenization, .scalars)
        XCTAssertEqual(run.normalization, .none)
        XCTAssertFalse(run.bidirectional)
        XCTAssertEqual(run.seed, TrainingDefaults.seed)
    }

    func testOptionsGivenWinOverDefaults() throws {
        var options = TrainingOptions(corpusPath: "c.txt")
        (options.cell, options.layerCount, options.hiddenSize, options.embeddingSize) = (.gru, 4, 300, 9)
        (options.batch, options.seq, options.validationFraction, options.seed) = (10, 20, 0.2, 9)
        let run = try RunConfiguration(options: options)
        XCTAssertEqual([run.layerCount, run.hiddenSize, run.embeddingSize, run.batch, run.seq], [4, 300, 9, 10, 20])
        XCTAssertEqual(run.cell, .gru)
        XCTAssertEqual(run.validationFraction, 0.2)
        XCTAssertEqual(run.seed, 9)
        let config = run.modelConfig(vocabularySize: 31)
        XCTAssertEqual(config.vocabularySize, 31)
        XCTAssertEqual(config.hiddenSize, 300)
    }

    func testResumedRunTakesTheCheckpointsChoices() throws {
        let saved = savedRun()
        var options = TrainingOptions(corpusPath: "c.txt")
        options.seed = 3  // the weights came from the checkpoint's seed, which the record keeps
        let run = try RunConfiguration(options: options, resumed: saved)
        XCTAssertEqual(run.modelConfig(vocabularySize: vocabulary.count), saved.config)
        XCTAssertEqual([run.batch, run.seq], [8, 16])
        XCTAssertEqual(run.validationFraction, 0.1)
        XCTAssertEqual(run.normalization, .nfc)
        XCTAssertEqual(run.seed, 77)
        XCTAssertNoThrow(try run.checkCompatible(with: saved, path: "s.zst", corpus: fingerprint,
                                                 vocabulary: vocabulary, force: false))
    }

    func testEveryContradictingFlagIsNamed() throws {
        let saved = savedRun()
        var options = TrainingOptions(corpusPath: "c.txt")
        (options.cell, options.layerCount, options.hiddenSize, options.embeddingSize) = (.lstm, 2, 25, 8)
        (options.dropout, options.batch, options.seq, options.validationFraction) = (0, 9, 17, 0.2)
        options.normalization = Normalization.none
        let run = try RunConfiguration(options: options, resumed: saved)
        XCTAssertThrowsError(try run.checkCompatible(with: saved, path: "s.zst", corpus: fingerprint,
                                                     vocabulary: vocabulary, force: true)) { error in
            guard case TrainingError.architectureMismatch(let path, let differences) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, "s.zst")
            let flags = differences.map { $0.split(separator: " ")[0] }
            XCTAssertEqual(flags, ["--cell", "--layers", "--hidden", "--embed", "--dropout", "--normalize", "--batch",
                                   "--seq", "--val-frac"])
        }
    }

    func testChangedCorpusNeedsForceAndChangedVocabularyIsRefused() throws {
        let saved = savedRun()
        let run = try RunConfiguration(options: TrainingOptions(corpusPath: "c.txt"), resumed: saved)
        let other = CorpusFingerprint(byteCount: 101, hash: "fnv1a64:0000000000000002")
        XCTAssertThrowsError(try run.checkCompatible(with: saved, path: "s.zst", corpus: other,
                                                     vocabulary: vocabulary, force: false)) { error in
            XCTAssertEqual(error as? TrainingError, .corpusMismatch(checkpoint: "s.zst", expected: fingerprint, found: other))
        }
        XCTAssertNoThrow(try run.checkCompatible(with: saved, path: "s.zst", corpus: other,
                                                 vocabulary: vocabulary, force: true))
        let wider = try Vocabulary(symbols: ["\n", " ", "a", "b", "c", "d"], tokenization: .scalars)
        XCTAssertThrowsError(try run.checkCompatible(with: saved, path: "s.zst", corpus: other,
                                                     vocabulary: wider, force: true)) { error in
            XCTAssertEqual(error as? TrainingError, .vocabularyMismatch(checkpoint: "s.zst"))
        }
    }

    func testImpossibleCombinationsAreRefused() {
        var options = TrainingOptions(corpusPath: "c.txt")
        options.bidirectional = true
        XCTAssertThrowsError(try RunConfiguration(options: options)) {
            XCTAssertEqual($0 as? TrainingError, .bidirectionalLanguageModel)
        }
        options.task = .restoreDiacritics
        XCTAssertNoThrow(try RunConfiguration(options: options))
        options.tokenization = .bytes
        XCTAssertThrowsError(try RunConfiguration(options: options)) {
            XCTAssertEqual($0 as? TrainingError, .restorationOfBytes(task: "restore-diacritics"))
        }
        // A bidirectional restoration checkpoint resumes as one.
        let resumed = try? RunConfiguration(options: TrainingOptions(corpusPath: "c.txt"),
                                            resumed: savedRun(task: .restoreCase, bidirectional: true))
        XCTAssertEqual(resumed?.bidirectional, true)
        XCTAssertEqual(resumed?.task, .restoreCase)
    }
}
