import Foundation
import XCTest

/// `charnn probe long-range` and `charnn probe brackets` on tiny models: what they print agrees
/// with what they write, and bad input is refused before any training.
final class ProbeCommandTests: CLITestCase {
    static let tinyProbe = ["--hidden", "8", "--embed", "4", "--layers", "1", "--batch", "4", "--seq", "12",
                            "--threads", "1", "--steps", "4"]

    func testLongRangeTableAgreesWithItsCSV() throws {
        let result = try sandbox.run(["probe", "long-range", "--gaps", "15,3", "--chars", "3000", "--heldout-lines", "40",
                                      "--same-params", "--out", "p"] + Self.tinyProbe)
        assertSuccess(result)
        let tableRows = result.out.split(separator: "\n").filter { $0.hasPrefix("LSTM") || $0.hasPrefix("GRU") }
            .map { $0.split(separator: " ").map(String.init) }
        let csvLines = String(decoding: try sandbox.read("p/probe.csv"), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(csvLines.first, "model,cell,layers,hidden,gap,seq,key_accuracy,chance,keys_scored,validation_loss,parameters,chars_per_s,steps,seconds")
        let csvRows = csvLines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(tableRows.count, 4, "two cells × two gaps in the table:\n\(result.out)")
        XCTAssertEqual(csvRows.count, 4, "two cells × two gaps in the CSV")
        XCTAssertEqual(csvRows.map { $0[4] }, ["3", "3", "15", "15"], "gaps ascending, every cell at each")

        for (table, csv) in zip(tableRows, csvRows) {
            // table: LSTM 1×8 | gap | accuracy% | chance% | keys | bits | parameters | chars/s | steps | time
            XCTAssertEqual(table[0] + " " + table[1], csv[0])
            XCTAssertEqual(table[2], csv[4], "gap")
            XCTAssertEqual(try percent(table[3]), try number(csv[6]) * 100, accuracy: 0.05, "key accuracy of \(csv[0])")
            XCTAssertEqual(try percent(table[4]), 12.5, accuracy: 1e-9)
            XCTAssertEqual(try number(csv[7]), 0.125, accuracy: 1e-9)
            XCTAssertEqual(table[5], csv[8], "keys scored")
            XCTAssertEqual(try number(table[6]), try number(csv[9]) / log(2), accuracy: 6e-5, "validation bits of \(csv[0])")
            XCTAssertEqual(table[7], csv[10], "parameters")
            XCTAssertEqual(table[8], csv[11], "chars/s")
            XCTAssertEqual(table[9], csv[12], "steps")
            XCTAssertEqual(csv[12], "4")
            XCTAssertGreaterThanOrEqual(Int(csv[8]) ?? 0, 40, "held-out lines scored")
        }
        // --same-params: the GRU widened to within one unit's worth of the LSTM's parameters.
        let lstm = try number(csvRows[0][10]), gru = try number(csvRows[1][10])
        XCTAssertEqual(csvRows[1][1], "gru")
        XCTAssertGreaterThan(Int(csvRows[1][3])!, Int(csvRows[0][3])!, "the GRU was not widened")
        XCTAssertLessThan(abs(lstm - gru) / lstm, 0.1)

        let svg = String(decoding: try sandbox.read("p/probe.svg"), as: UTF8.self)
        XCTAssertTrue(svg.contains("chance 12.5%") && svg.contains("--seq 12"), "probe.svg lacks chance or the window")
        XCTAssertTrue(sandbox.exists("p/gap-15/text.txt") && sandbox.exists("p/gap-3/lstm-1x8/latest.safetensors.zst"))

        // Redrawn from the CSV alone, the plot is the one the run drew.
        let redrawn = try sandbox.run(["probe", "plot", "p/probe.csv", "--out", "again.svg"])
        assertSuccess(redrawn)
        XCTAssertEqual(try sandbox.read("again.svg"), try sandbox.read("p/probe.svg"))
        let missing = try sandbox.run(["probe", "plot", "p/probe.csv", "nowhere.csv", "--out", "never.svg"])
        assertCleanFailure(missing, code: 1, mentions: ["nowhere.csv", "probe.csv"])
        XCTAssertFalse(sandbox.exists("never.svg"))
    }

    func testBracketsTableAgreesWithItsCSV() throws {
        let corpus = try sandbox.write(Self.sourceCode(functions: 120), to: "code.c")
        let result = try sandbox.run(["probe", "brackets", corpus, "--val-frac", "0.2", "--out", "b"] + Self.tinyProbe)
        assertSuccess(result)
        let lines = result.out.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("distance") }, "no distance table:\n\(result.out)")
        XCTAssertEqual(lines[header].split(separator: " "), ["distance", "closers", "always", ")", "LSTM", "1×8", "GRU", "1×8"])
        let tableRows = lines[(header + 1)...].prefix { !$0.hasPrefix("results:") }.map { $0.split(separator: " ").map(String.init) }
        let csvRows = String(decoding: try sandbox.read("b/brackets.csv"), as: UTF8.self).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertGreaterThanOrEqual(tableRows.count, 3, "the corpus's brackets span several distances")
        XCTAssertEqual(csvRows.count, 3 * tableRows.count, "one CSV row per model and filled bucket")
        for (index, row) in tableRows.enumerated() {
            for (column, model) in ["always )", "LSTM 1×8", "GRU 1×8"].enumerated() {
                let csv = csvRows[column * tableRows.count + index]
                XCTAssertEqual(csv[0], model)
                XCTAssertEqual(row[0], csv[2].isEmpty ? "\(csv[1])+" : "\(csv[1])–\(csv[2])", "bucket")
                XCTAssertEqual(row[1], csv[3], "closers")
                XCTAssertEqual(try percent(row[2 + column]), try number(csv[5]) * 100, accuracy: 0.05, "\(model) at \(row[0])")
            }
        }
        XCTAssertTrue(sandbox.exists("b/brackets.svg"))
    }

    func testBadInputIsRefusedBeforeTraining() throws {
        let cases: [([String], String)] = [
            (["long-range", "--gaps", "0,5"], "--gaps"),
            (["long-range", "--gaps", "5,5"], "--gaps"),
            (["long-range", "--gaps", "ten"], "--gaps"),
            (["long-range", "--cells", "lstm,rnn"], "--cells"),
            (["long-range", "--cell", "gru"], "--cell"),
            (["long-range", "--time", "1m", "--steps", "3"], "--steps"),
            (["long-range", "--chars", "0"], "--chars"),
            (["brackets", "code.c", "--val-frac", "1"], "--val-frac"),
        ]
        for (arguments, name) in cases {
            let result = try sandbox.run(["probe"] + arguments + ["--out", "refused"])
            assertCleanFailure(result, code: 64, mentions: [name], oneLine: false)
            XCTAssertFalse(sandbox.exists("refused"), "\(arguments) wrote output before refusing")
        }
    }

    func testTextWithoutBracketsIsRefusedInOneLine() throws {
        let prose = try sandbox.write(String(repeating: "no brackets in this line at all\n", count: 200), to: "prose.txt")
        let result = try sandbox.run(["probe", "brackets", prose, "--out", "b"] + Self.tinyProbe)
        assertCleanFailure(result, code: 1, mentions: ["prose.txt", "held-out", "brackets"])
        XCTAssertFalse(sandbox.exists("b"), "a run started although nothing could be scored")
    }

    // MARK: Helpers

    /// C functions with nested calls, subscripts and blocks of varied length.
    static func sourceCode(functions: Int) -> String {
        var generator = SeededGenerator(seed: 3)
        var text = ""
        for f in 0..<functions {
            text += "static int f\(f) (int *a, int n) {\n"
            for _ in 0..<Int(generator.next() % 6) {
                text += "  if (a[n - \(generator.next() % 9)] > g(n, (n + 1))) {\n    n = h(a[\(generator.next() % 4)]);\n  }\n"
            }
            text += "  return n;  /* ( */\n}\n\n"
        }
        return text
    }

    private func number(_ text: String) throws -> Double {
        try XCTUnwrap(Double(text), "not a number: \(text)")
    }

    private func percent(_ text: String) throws -> Double {
        try XCTUnwrap(text.hasSuffix("%") ? Double(text.dropLast()) : nil, "not a percentage: \(text)")
    }
}
