import Foundation
import XCTest
@testable import CharRNN

/// The restoration tasks at library level: what a character degrades to, the vocabulary and
/// candidates built from that, decoding restricted to the candidates, the accuracy tally, and
/// `Restorer` on small trained models.
final class RestorationTests: XCTestCase {
    var folder = ""

    override func setUp() { folder = makeTemporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    // MARK: - Degradation

    /// Tone marks and other diacritics go, the base letter stays; đ/Đ are letters of their own in
    /// Unicode (no decomposition) and are mapped explicitly.
    func testDiacriticsDegradation() {
        let table: [(Unicode.Scalar, Unicode.Scalar)] = [
            ("ế", "e"), ("ữ", "u"), ("ệ", "e"), ("ạ", "a"), ("ằ", "a"), ("ẫ", "a"), ("ơ", "o"), ("ờ", "o"),
            ("ư", "u"), ("ỹ", "y"), ("ị", "i"), ("Ớ", "O"), ("Ữ", "U"), ("Ê", "E"), ("đ", "d"), ("Đ", "D"),
            ("é", "e"), ("ñ", "n"), ("ç", "c"), ("Å", "A"),
            // No canonical decomposition into a letter and marks only: kept.
            ("a", "a"), ("d", "d"), ("D", "D"), (" ", " "), ("\n", "\n"), ("1", "1"), ("ß", "ß"), ("ø", "ø"),
            ("Æ", "Æ"), ("€", "€"), ("\u{301}", "\u{301}"),
            // 한 decomposes canonically into three jamo, which are letters, not marks.
            ("한", "한"),
        ]
        for (original, degraded) in table {
            XCTAssertEqual(TrainingTask.restoreDiacritics.degrade(original), degraded, "\(original)")
            XCTAssertEqual(TrainingTask.lm.degrade(original), original, "\(original)")
        }
    }

    /// Case restoration reads lower case; a capital whose lower case is not one scalar is kept.
    func testCaseDegradation() {
        let table: [(Unicode.Scalar, Unicode.Scalar)] = [
            ("A", "a"), ("Z", "z"), ("Đ", "đ"), ("Ế", "ế"), ("Σ", "σ"), ("Ж", "ж"),
            ("a", "a"), ("đ", "đ"), ("1", "1"), (" ", " "), ("ß", "ß"),
            ("\u{130}", "\u{130}"),  // İ lower-cases to i + combining dot above: two scalars
        ]
        for (original, degraded) in table {
            XCTAssertEqual(TrainingTask.restoreCase.degrade(original), degraded, "\(original)")
        }
    }

    /// The restoration vocabulary is the corpus's characters and their degraded forms, sorted by
    /// code point; the corpus ids are re-expressed in it; `degradedForm` maps each id to its degraded form's.
    func testPrepareAddsTheDegradedForms() throws {
        let text = "Đi đâu thế"
        let corpus = try Corpus(text: Array(text.utf8), tokenization: .scalars, normalization: .none, origin: "t.txt")
        let (vocabulary, ids, _, degradedForm) = TrainingTask.restoreDiacritics.prepare(corpus)
        let expected: [Unicode.Scalar] = [" ", "D", "a", "d", "e", "h", "i", "t", "u", "â", "Đ", "đ", "ế"]
        XCTAssertEqual(vocabulary.symbols, expected.sorted { $0.value < $1.value }.map(String.init))
        XCTAssertEqual(vocabulary.bytes(of: ids), Array(text.utf8))
        let degradedOf: [String: String] = ["â": "a", "Đ": "D", "đ": "d", "ế": "e"]
        for (id, symbol) in vocabulary.symbols.enumerated() {
            XCTAssertEqual(vocabulary.symbol(degradedForm[id]), degradedOf[symbol] ?? symbol, symbol)
        }
        // The language model keeps the corpus as it is.
        let lm = TrainingTask.lm.prepare(corpus)
        XCTAssertEqual(lm.vocabulary, corpus.vocabulary)
        XCTAssertEqual(lm.degradedForm, (0..<Int32(corpus.vocabulary.count)).map { $0 })
    }

    // MARK: - Candidates and decoding

    /// Decoding may choose, for input c, exactly the characters whose degraded form is c.
    func testCandidatesAreThePreimagesOfTheDegradation() throws {
        let vocabulary = try makeVocabulary("adexàáâđế")
        let degradedForm = TrainingTask.restoreDiacritics.degradedForms(vocabulary)
        let candidates = TrainingTask.candidates(degradedForm: degradedForm)
        let expected: [String: Set<String>] = [
            "a": ["a", "à", "á", "â"], "d": ["d", "đ"], "e": ["e", "ế"], "x": ["x"],
            "à": [], "á": [], "â": [], "đ": [], "ế": [],
        ]
        for (id, symbol) in vocabulary.symbols.enumerated() {
            XCTAssertEqual(Set(candidates[id].map(vocabulary.symbol)), expected[symbol], symbol)
        }
    }

    /// The decoder takes the highest-scoring candidate even when a non-candidate scores higher;
    /// one candidate is taken whatever the scores; an input that is no degraded form is kept.
    func testDecoderChoosesOnlyAmongCandidates() throws {
        let vocabulary = try makeVocabulary("adexàáâđế")
        let decoder = RestorationDecoder(degradedForm: TrainingTask.restoreDiacritics.degradedForms(vocabulary))
        func id(_ s: Unicode.Scalar) -> Int32 { vocabulary.id(of: s)! }
        func decode(_ input: Unicode.Scalar, _ scores: [Unicode.Scalar: Double]) -> String {
            var row = [Double](repeating: 0, count: vocabulary.count)
            for (symbol, score) in scores { row[Int(id(symbol))] = score }
            return vocabulary.symbol(row.withUnsafeBufferPointer { decoder.decode(input: id(input), scores: $0.baseAddress!) })
        }
        XCTAssertEqual(decode("a", ["ế": 9, "đ": 8, "á": 3, "â": 2]), "á")
        XCTAssertEqual(decode("a", ["ế": 9, "a": 1, "à": -1]), "a")
        XCTAssertEqual(decode("d", ["a": 9, "đ": 0.5, "d": 0.25]), "đ")
        XCTAssertEqual(decode("x", ["x": -5, "a": 9]), "x")
        XCTAssertEqual(decode("ế", ["e": 9]), "ế")

        // Whatever the scores, the choice degrades to the input.
        var generator = SplitMix64(seed: 3)
        for _ in 0..<200 {
            let row = (0..<vocabulary.count).map { _ in Float(generator.nextNormal()) }
            for input in ["a", "d", "e", "x"] as [Unicode.Scalar] {
                let chosen = row.withUnsafeBufferPointer { decoder.decode(input: id(input), scores: $0.baseAddress!) }
                let symbol = vocabulary.symbol(chosen).unicodeScalars.first!
                XCTAssertEqual(TrainingTask.restoreDiacritics.degrade(symbol), input)
                let best = decoder.candidates[Int(id(input))].map { row[Int($0)] }.max()!
                XCTAssertEqual(row[Int(chosen)], best)
            }
        }
    }

    // MARK: - Accuracy

    /// Two interleaved streams of different lengths, counted by hand: a word is a maximal run of
    /// non-whitespace, right when all its characters are; a double space makes no empty word; a
    /// word still open at the end counts.
    ///
    ///     stream 0: target "anh  đi học"  input "anh  di hoc"  predicted "anh  đi hoc"
    ///     stream 1: target "xin chào\n"    input "xin chao\n"   predicted "xin chào\n"
    ///     characters 20: right 19, copy right 17      words 5: right 4 (not "học"), copy right 2
    func testTallyCountsCharactersAndWords() throws {
        let streams: [(target: String, input: String, predicted: String)] = [
            ("anh  đi học", "anh  di hoc", "anh  đi hoc"),
            ("xin chào\n", "xin chao\n", "xin chào\n"),
        ]
        let vocabulary = try makeVocabulary(streams.map { $0.target + $0.input }.joined())
        func ids(_ text: String) -> [Int32] { text.unicodeScalars.map { vocabulary.id(of: $0)! } }
        var tally = RestorationTally(vocabulary: vocabulary, streams: 2)
        let encoded = streams.map { (ids($0.target), ids($0.input), ids($0.predicted)) }
        for t in 0..<encoded.map(\.0.count).max()! {
            for (stream, (target, input, predicted)) in encoded.enumerated() where t < target.count {
                tally.add(stream: stream, target: target[t], input: input[t], predicted: predicted[t])
            }
        }
        let accuracy = tally.result()
        XCTAssertEqual(accuracy.characterAccuracy, 19.0 / 20, accuracy: 1e-12)
        XCTAssertEqual(accuracy.copyCharacterAccuracy, 17.0 / 20, accuracy: 1e-12)
        XCTAssertEqual(accuracy.wordAccuracy, 4.0 / 5, accuracy: 1e-12)
        XCTAssertEqual(accuracy.copyWordAccuracy, 2.0 / 5, accuracy: 1e-12)
    }

    // MARK: - Restorer

    /// Whatever the weights: the output has the input's length; each character the model reads as a
    /// degraded form comes out as one of the characters degrading to it; characters outside the
    /// vocabulary and ones that are not degraded forms come out unchanged. Longer than one window
    /// (seq 10), for a bidirectional and a one-directional model (which carries its state on).
    func testRestorerKeepsLengthAndDegradedForm() throws {
        // In this corpus a, e, o, u, d come back as themselves or à, ế, ó, ư, đ.
        let restorations: [Unicode.Scalar: Set<Unicode.Scalar>] = [
            "a": ["a", "à"], "e": ["e", "ế"], "o": ["o", "ó"], "u": ["u", "ư"], "d": ["d", "đ"],
        ]
        let input = "Q di den nha € co thu tiếng 😀, toc lung nhu the la da di"
        for bidirectional in [true, false] {
            let restorer = try trainRestorer(task: .restoreDiacritics, corpus: vietnameseLikeText(),
                                             bidirectional: bidirectional, steps: 3)
            let output = Array(restorer.restore(input).unicodeScalars)
            XCTAssertEqual(output.count, input.unicodeScalars.count, "bidirectional \(bidirectional)")
            for (inScalar, outScalar) in zip(input.unicodeScalars, output) {
                let allowed = restorations[inScalar] ?? [inScalar]
                XCTAssertTrue(allowed.contains(outScalar), "\(inScalar) → \(outScalar), bidirectional \(bidirectional)")
            }
        }
    }

    /// A bidirectional model trained on a corpus where each of a, e, o, u, d only ever appears as
    /// à, ế, ó, ư, đ restores them all, in `restore` and in validation, where copying the input does not.
    func testRestorerLearnsAnUnambiguousMapping() throws {
        var accuracy: RestorationAccuracy?
        let restorer = try trainRestorer(task: .restoreDiacritics, corpus: vietnameseLikeText(),
                                         bidirectional: true, steps: 200) { event in
            if case .validated(_, _, _, let reported, _) = event { accuracy = reported }
        }
        XCTAssertEqual(restorer.restore("di den nha co thu, toc lung nhu the la da di"),
                       "đi đến nhà có thư, tóc lưng như thế là đà đi")
        let final = try XCTUnwrap(accuracy)
        XCTAssertEqual(final.characterAccuracy, 1, "the mapping is one to one: nothing to get wrong")
        XCTAssertLessThan(final.copyCharacterAccuracy, 0.9)
        XCTAssertLessThan(final.copyWordAccuracy, final.wordAccuracy)
    }

    /// Case restoration: the output lower-cases to the input; characters it cannot read pass.
    func testCaseRestorerOutputLowerCasesToTheInput() throws {
        let corpus = words(["The", "king", "shall", "not", "Speak", "of", "Love", "and", "War", "my", "Lord"],
                           characters: 3000)
        let restorer = try trainRestorer(task: .restoreCase, corpus: corpus, bidirectional: true, steps: 3)
        let input = "the king ~ shall speak of love and war, my lord 😀"
        let output = restorer.restore(input)
        XCTAssertEqual(output.unicodeScalars.count, input.unicodeScalars.count)
        XCTAssertEqual(output.lowercased(), input)
        XCTAssertTrue(output.contains("~") && output.contains("😀"))
    }

    /// A language model cannot restore.
    func testRestorerRefusesALanguageModel() throws {
        let path = (folder as NSString).appendingPathComponent("corpus.txt")
        try syntheticText(characters: 2000).write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try Trainer(options: tinyOptions(corpus: path, out: folder, steps: 0)).run { _ in }
        XCTAssertThrowsError(try Restorer(checkpoint: Checkpoint.read(from: summary.latestPath), path: "lm")) { error in
            guard case Restorer.Failure.notRestorationModel(let path) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "lm")
        }
    }

    // MARK: - Helpers

    /// The vocabulary of the distinct scalars of `text`.
    private func makeVocabulary(_ text: String) throws -> Vocabulary {
        try Vocabulary(symbols: Set(text.unicodeScalars).sorted { $0.value < $1.value }.map(String.init),
                       tokenization: .scalars)
    }

    /// Words drawn by a seeded generator, separated by spaces, with a comma or a newline now and then.
    private func words(_ list: [String], characters: Int, seed: UInt64 = 5) -> String {
        var generator = SplitMix64(seed: seed)
        var text = ""
        while text.unicodeScalars.count < characters {
            text += list[Int(generator.next() % UInt64(list.count))]
            let r = generator.next() % 9
            text += r == 0 ? ",\n" : r == 1 ? ", " : " "
        }
        return text
    }

    /// Vietnamese words in which a, e, o, u, d only ever appear as à, ế, ó, ư, đ.
    private func vietnameseLikeText() -> String {
        words(["tiếng", "đi", "nhà", "có", "là", "thế", "đến", "như", "thư", "tóc", "lưng", "đà"], characters: 3000)
    }

    /// Trains a tiny model on `corpus` for `steps` and loads its latest checkpoint into a `Restorer`.
    private func trainRestorer(task: TrainingTask, corpus: String, bidirectional: Bool, steps: Int,
                               report: (TrainingEvent) -> Void = { _ in }) throws -> Restorer {
        let name = "\(task.rawValue)-\(bidirectional)-\(steps)"
        let path = (folder as NSString).appendingPathComponent("\(name).txt")
        try corpus.write(toFile: path, atomically: true, encoding: .utf8)
        var options = tinyOptions(corpus: path, out: (folder as NSString).appendingPathComponent(name), steps: steps)
        options.task = task
        options.bidirectional = bidirectional
        options.layerCount = 1
        options.hiddenSize = 16
        options.learningRate = 1e-2
        options.validationEvery = 50
        let summary = try Trainer(options: options).run(report: report)
        return try Restorer(checkpoint: Checkpoint.read(from: summary.latestPath), path: summary.latestPath)
    }
}
