import Foundation
import XCTest
@testable import CharRNN

/// The probes' instruments without training: the synthetic text, the scoring of recall sites, the
/// model as a predictor, the bracket pairs and the plot.
final class ProbeTests: XCTestCase {
    // MARK: The synthetic text

    func testTextIsAFunctionOfGapLinesAndSeed() {
        let a = LongRangeText(gap: 12, lineCount: 300, seed: 7)
        XCTAssertEqual(a.text, LongRangeText(gap: 12, lineCount: 300, seed: 7).text)
        XCTAssertNotEqual(a.text, LongRangeText(gap: 12, lineCount: 300, seed: 8).text)
        XCTAssertEqual(a.text.count, 300 * 16)
        // The first lines do not depend on how many follow.
        XCTAssertEqual(Array(LongRangeText(gap: 12, lineCount: 500, seed: 7).text.prefix(a.text.count)), a.text)
    }

    func testSitesAreExactlyTheRecalledKeys() {
        let gap = 9
        let generated = LongRangeText(gap: gap, lineCount: 2000, seed: 3)
        let text = generated.text
        let afterMarker = text.indices.dropFirst().filter { text[$0 - 1] == LongRangeText.marker }
        XCTAssertEqual(generated.sites.map(\.target), afterMarker, "a site that is not a recall, or a recall without a site")
        XCTAssertEqual(generated.sites.count, 2000)
        for site in generated.sites {
            XCTAssertEqual(site.distance, gap + 2)
            XCTAssertTrue(site.cue == 0 || text[site.cue - 1] == UInt8(ascii: "\n"), "cue \(site.cue) does not start a line")
            XCTAssertEqual(text[site.target], text[site.cue], "the recalled key differs from the line's key at \(site.target)")
            XCTAssertTrue(LongRangeText.keys.contains(text[site.cue]))
            XCTAssertTrue(text[(site.cue + 1)...(site.cue + gap)].allSatisfy(LongRangeText.filler.contains),
                          "filler outside its alphabet in the line at \(site.cue)")
            XCTAssertEqual(text[site.target + 1], UInt8(ascii: "\n"))
        }
        // Every key and filler letter occurs, roughly as often as the others.
        let keyCounts = LongRangeText.keys.map { key in generated.sites.filter { text[$0.cue] == key }.count }
        XCTAssertTrue(keyCounts.allSatisfy { abs($0 - 250) < 60 }, "keys not uniform: \(keyCounts)")
    }

    func testHeldOutSitesKeepOnlyLinesWhoseKeyIsHeldOut() {
        let generated = LongRangeText(gap: 5, lineCount: 10, seed: 1)  // lines of 9 characters
        let start = 9 * 6 + 4  // inside the seventh line
        let heldOut = RecallSite.within(generated.sites, from: start)
        XCTAssertEqual(heldOut, [RecallSite(cue: 5, target: 12), RecallSite(cue: 14, target: 21), RecallSite(cue: 23, target: 30)])
        XCTAssertEqual(RecallSite.within(generated.sites, from: 0), generated.sites)
    }

    // MARK: Scoring

    func testScoringReadsTheSitesAndNothingElse() throws {
        let generated = LongRangeText(gap: 6, lineCount: 400, seed: 2)
        let ids = try ids(of: generated)
        let targets = Set(generated.sites.map(\.target))
        let wrong: (Int) -> Int32 = { (ids[$0] + 1) % 26 }
        let rightOnlyAtSites = TablePredictor(table: ids.indices.map { targets.contains($0) ? ids[$0] : wrong($0) })
        let wrongOnlyAtSites = TablePredictor(table: ids.indices.map { targets.contains($0) ? wrong($0) : ids[$0] })
        XCTAssertEqual(RecallSite.outcomes(of: rightOnlyAtSites, on: ids, sites: generated.sites), Array(repeating: true, count: 400))
        XCTAssertEqual(RecallSite.outcomes(of: wrongOnlyAtSites, on: ids, sites: generated.sites), Array(repeating: false, count: 400))
    }

    func testHandBuiltOracleScoresEveryHeldOutKey() throws {
        let generated = LongRangeText(gap: 40, lineCount: 300, seed: 4)
        let ids = try ids(of: generated)
        let start = 44 * 200 + 17  // inside a line: its key is not held out
        let heldOut = RecallSite.within(generated.sites, from: start)
        XCTAssertEqual(heldOut.count, 99)
        let outcomes = RecallSite.outcomes(of: LineKeyOracle(lineBreak: try id("\n")), on: Array(ids[start...]), sites: heldOut)
        XCTAssertEqual(outcomes.count, 99)
        XCTAssertTrue(outcomes.allSatisfy { $0 }, "the oracle missed \(outcomes.filter { !$0 }.count) keys")
    }

    func testConstantGuessScoresChance() throws {
        let generated = LongRangeText(gap: 3, lineCount: 8000, seed: 5)
        let ids = try ids(of: generated)
        let a = try id("A")
        let outcomes = RecallSite.outcomes(of: ConstantPredictor(id: a), on: ids, sites: generated.sites)
        let accuracy = Double(outcomes.filter { $0 }.count) / Double(outcomes.count)
        let keysA = generated.sites.filter { generated.text[$0.cue] == UInt8(ascii: "A") }.count
        XCTAssertEqual(outcomes.filter { $0 }.count, keysA, "the constant guess is right exactly where the key is A")
        XCTAssertEqual(accuracy, LongRangeText.chance, accuracy: 0.015)
    }

    // MARK: The model as a predictor

    func testModelPredictionsEqualAStepByStepReadingAcrossWindows() {
        let config = ModelConfig(cell: .gru, layerCount: 2, hiddenSize: 12, embeddingSize: 5, vocabularySize: 7)
        let model = CharRNNModel<Float>(config: config, seed: 11)
        var generator = SplitMix64(seed: 9)
        let ids = (0..<700).map { _ in Int32(generator.next() % 7) }
        let positions = [1, 2, 255, 256, 257, 300, 511, 512, 513, 699]
        let reference = stepByStepLogits(model: model, ids: ids, upTo: 699)

        let predicted = ModelPredictor(model: model).predictions(for: ids, at: positions)
        let among = ModelPredictor(model: model, candidates: [2, 5]).predictions(for: ids, at: positions)
        XCTAssertEqual(predicted.count, positions.count)
        XCTAssertEqual(among.count, positions.count)
        var compared = 0
        for (index, p) in positions.enumerated() {
            // Summation order differs between a window and single steps: near-ties are left out.
            let row = reference[p - 1]
            let sorted = row.sorted(by: >)
            if sorted[0] - sorted[1] > 1e-4 {
                XCTAssertEqual(Int(predicted[index]), row.firstIndex(of: sorted[0]), "position \(p)")
                compared += 1
            }
            if abs(row[2] - row[5]) > 1e-4 {
                XCTAssertEqual(among[index], row[2] > row[5] ? 2 : 5, "position \(p), candidates 2 and 5")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 16, "too many near-ties to test anything")
    }

    // MARK: Brackets

    func testBracketPairsSkipCommentsAndLiteralsAndResynchronise() {
        let source = """
        /* a ( in a comment */
        int f(int a[3]) {
            char *s = "}{)(\\"(";
            char c = '(';  // ) here too
            return g(a[0], (1 + 2));
        }
        x ( ] y ) z { ( } w )

        """
        let text = Array(source.unicodeScalars)
        /// Where `fragment` first occurs, in scalars.
        func offset(_ fragment: String) -> Int {
            source.unicodeScalars.distance(from: source.unicodeScalars.startIndex, to: source.range(of: fragment)!.lowerBound)
        }
        let expected = [
            RecallSite(cue: offset("[3]"), target: offset("[3]") + 2),
            RecallSite(cue: offset("f(int") + 1, target: offset(") {")),
            RecallSite(cue: offset("[0]"), target: offset("[0]") + 2),
            RecallSite(cue: offset("(1 + 2"), target: offset("2));") + 1),
            RecallSite(cue: offset("g(a") + 1, target: offset("2));") + 2),
            RecallSite(cue: offset(") {") + 2, target: offset("}\nx")),
        ]
        let sites = BracketPairs.sites(in: text)
        XCTAssertEqual(sites, expected, "the last line, unbalanced, must give no site")
        for site in sites {
            XCTAssertEqual(BracketPairs.closerOfOpener[text[site.cue]], text[site.target])
        }
    }

    func testDistanceBucketsCoverEveryDistanceOnce() {
        let buckets = DistanceBucket.standard
        for distance in 1...2000 {
            XCTAssertEqual(buckets.filter { $0.contains(distance) }.count, 1, "distance \(distance)")
        }
        XCTAssertFalse(buckets.contains { $0.contains(0) })
        XCTAssertEqual(buckets.map(\.label), ["1–9", "10–24", "25–49", "50–99", "100–199", "200–399", "400–799", "800+"])
    }

    // MARK: The plot

    func testPlotDrawsChanceAndTheWindowBetweenTheRightGaps() throws {
        let results = [10, 25, 100, 200].flatMap { gap in
            [CellKind.lstm, .gru].map { cell in
                LongRangeResult(model: ProbeModel(cell: cell, layerCount: 1, hiddenSize: 8), gap: gap, seq: 50,
                                keysScored: 100, keysRight: gap < 50 ? 90 : 12, chance: 0.125, validationLoss: 3,
                                parameterCount: 1, charsPerSecond: 1, steps: 1, seconds: 1)
            }
        }
        let svg = LongRangeProbe.svg(results, title: "probe")
        XCTAssertTrue(svg.contains("chance 12.5%"))
        XCTAssertTrue(svg.contains("--seq 50: longest gap in one window"))
        let dots = try circles(in: svg)
        XCTAssertEqual(dots.count, 8, "one dot per model and gap")
        let xs = Array(Set(dots.map(\.x))).sorted()
        XCTAssertEqual(xs.count, 4)
        // Logarithmic: equal ratios (100/25 and 200/50) would be equal steps; 25→100 is twice 100→200.
        XCTAssertEqual((xs[2] - xs[1]) / (xs[3] - xs[2]), 2, accuracy: 0.02)
        let window = try XCTUnwrap(dashedVerticalX(in: svg))
        XCTAssertTrue(xs[1] < window && window < xs[2], "the --seq line at \(window) is not between gaps 25 and 100: \(xs)")
    }

    func testCSVReadsBackAndRunsWithTwoWindowsShareOnePlot() throws {
        let results = [(50, 10, 998), (50, 100, 131), (200, 10, 997), (200, 100, 223)].flatMap { seq, gap, right in
            [ProbeModel(cell: .lstm, layerCount: 1, hiddenSize: 128), ProbeModel(cell: .gru, layerCount: 1, hiddenSize: 151)].map {
                LongRangeResult(model: $0, gap: gap, seq: seq, keysScored: 1000, keysRight: right, chance: 0.125,
                                validationLoss: 2.718281828, parameterCount: 104_346, charsPerSecond: 24_353.6,
                                steps: 586, seconds: 60.016)
            }
        }
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = (folder as NSString).appendingPathComponent("probe.csv")
        try LongRangeProbe.csv(results).write(toFile: path, atomically: true, encoding: .utf8)
        let read = try LongRangeProbe.results(fromFile: path)
        XCTAssertEqual(read.map(\.model), results.map(\.model))
        XCTAssertEqual(read.map(\.gap), results.map(\.gap))
        XCTAssertEqual(read.map(\.seq), results.map(\.seq))
        XCTAssertEqual(read.map(\.keysRight), results.map(\.keysRight), "key counts must come back exactly")
        XCTAssertEqual(read.map(\.keysScored), results.map(\.keysScored))
        XCTAssertEqual(read[0].validationLoss, 2.718282, accuracy: 1e-9)
        XCTAssertEqual(read[0].charsPerSecond, 24_354)
        XCTAssertEqual(LongRangeProbe.svg(read, title: "t"), LongRangeProbe.svg(results, title: "t"), "the plot of what was read differs")

        XCTAssertEqual(LongRangeProbe.title(read), "Recall across a gap with --seq 50 and 200")
        let svg = LongRangeProbe.svg(read, title: LongRangeProbe.title(read))
        for label in ["LSTM 1×128, --seq 50", "GRU 1×151, --seq 50", "LSTM 1×128, --seq 200", "GRU 1×151, --seq 200",
                      "--seq 50: longest gap in one window", "--seq 200: longest gap in one window"] {
            XCTAssertTrue(svg.contains(">\(label)<"), "the combined plot lacks \(label)")
        }
        XCTAssertEqual(try circles(in: svg).count, 8)
    }

    func testResultsThatAreNotAProbeCSVAreRefusedWithTheLine() throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = (folder as NSString).appendingPathComponent("bad.csv")
        let row = "LSTM 1×128,lstm,1,128,25,50,0.135000,0.125000,1000,2.609202,104346,24354,586,60.15"
        let cases: [(String, ProbeError)] = [
            ("step,loss\n", .unreadableResults(path: path, line: 1, reason: "the header is not probe.csv's")),
            (LongRangeProbe.csvHeader + "\n" + row + "\n" + row.replacingOccurrences(of: ",586,", with: ",many,") + "\n",
             .unreadableResults(path: path, line: 3, reason: "expected 14 fields of the kinds the header names")),
            (LongRangeProbe.csvHeader + "\n" + row.replacingOccurrences(of: "1,128,25", with: "2,128,25") + "\n",
             .unreadableResults(path: path, line: 2, reason: "the model LSTM 1×128 contradicts its cell and sizes")),
        ]
        for (text, expected) in cases {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try LongRangeProbe.results(fromFile: path)) { XCTAssertEqual($0 as? ProbeError, expected) }
        }
        XCTAssertThrowsError(try LongRangeProbe.results(fromFile: path + ".missing")) {
            XCTAssertEqual(($0 as? ProbeError)?.description.hasPrefix(path + ".missing: cannot be read"), true)
        }
    }

    // MARK: Helpers

    private func ids(of generated: LongRangeText) throws -> [Int32] {
        try generated.text.map { try id(String(UnicodeScalar($0))) }
    }

    /// Ids in the vocabulary of every probe text: the 26 symbols sorted by code point.
    private func id(_ symbol: String) throws -> Int32 {
        let alphabet = ([UInt8(ascii: "\n"), LongRangeText.marker] + LongRangeText.keys + LongRangeText.filler).sorted()
        return Int32(try XCTUnwrap(alphabet.firstIndex(of: symbol.utf8.first!)))
    }

    private func stepByStepLogits(model: CharRNNModel<Float>, ids: [Int32], upTo end: Int) -> [[Float]] {
        let network = UnrolledNetwork(model: model, batchSize: 1, steps: 1, withGradients: false)
        let V = model.config.vocabularySize
        return (0..<end).map { t in
            network.inputs[0] = ids[t]
            network.computeLogits()
            return Array(network.logits.prefix(V))
        }
    }

    private func circles(in svg: String) throws -> [(x: Double, y: Double)] {
        let pattern = try NSRegularExpression(pattern: #"<circle cx="([0-9.]+)" cy="([0-9.]+)""#)
        return pattern.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { match in
            (Double(svg[Range(match.range(at: 1), in: svg)!])!, Double(svg[Range(match.range(at: 2), in: svg)!])!)
        }
    }

    private func dashedVerticalX(in svg: String) throws -> Double? {
        let pattern = try NSRegularExpression(pattern: ##"<line x1="([0-9.]+)" y1="[0-9.]+" x2="([0-9.]+)" y2="[0-9.]+" stroke="#777" stroke-dasharray"##)
        for match in pattern.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)) {
            let x1 = Double(svg[Range(match.range(at: 1), in: svg)!])!, x2 = Double(svg[Range(match.range(at: 2), in: svg)!])!
            if x1 == x2 { return x1 }
        }
        return nil
    }
}

/// Predicts `table[p]` at position `p`: whatever a test wants at each position.
private struct TablePredictor: NextSymbolPredictor {
    let table: [Int32]
    func predictions(for ids: [Int32], at positions: [Int]) -> [Int32] { positions.map { table[$0] } }
}

/// Always the same id.
private struct ConstantPredictor: NextSymbolPredictor {
    let id: Int32
    func predictions(for ids: [Int32], at positions: [Int]) -> [Int32] { positions.map { _ in id } }
}

/// The probe solved by hand: from the text before the position only, the first character of the
/// current line (its key), found by looking back for the last line break.
private struct LineKeyOracle: NextSymbolPredictor {
    let lineBreak: Int32
    func predictions(for ids: [Int32], at positions: [Int]) -> [Int32] {
        positions.map { p in
            let prefix = ids[..<p]
            let start = (prefix.lastIndex(of: lineBreak) ?? -1) + 1
            return ids[start]
        }
    }
}
