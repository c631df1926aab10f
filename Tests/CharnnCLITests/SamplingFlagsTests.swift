import Foundation
import XCTest

/// `sample --prime-file/--prime -/--beam/--probs`, `next` and `eval --per-char` on the real binary.
final class SamplingFlagsTests: CLITestCase {
    private var checkpoint = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        checkpoint = try trainTiny(corpus: corpus(), out: "model")
    }

    private func run(_ arguments: [String], stdin: Data? = nil, file: StaticString = #filePath,
                     line: UInt = #line) throws -> RunResult {
        let result = try sandbox.run(arguments + ["--checkpoint", checkpoint], stdin: stdin)
        assertSuccess(result, "\(arguments)", file: file, line: line)
        return result
    }

    private func jsonLines(_ result: RunResult) throws -> [[String: Any]] {
        try result.out.split(separator: "\n").map { try jsonObject(Data($0.utf8)) }
    }

    /// A prime longer than a priming window, from a file or from standard input, gives the sample
    /// that the same prime on the command line gives (which alone is printed first).
    func testPrimeFromAFileOrStandardInputSamplesAsTheSamePrimeGiven() throws {
        let prime = String(Fixtures.corpusText.prefix(700))
        let path = try sandbox.write(prime, to: "prime.txt")
        let fromFile = try run(["sample", "--prime-file", path, "--length", "80", "--seed", "4"])
        let fromInput = try run(["sample", "--prime", "-", "--length", "80", "--seed", "4"], stdin: Data(prime.utf8))
        let given = try run(["sample", "--prime", prime, "--length", "80", "--seed", "4"])
        XCTAssertEqual(fromFile.out.scalarCount, 80 + 1, fromFile.out)
        XCTAssertEqual(fromFile.stdout, fromInput.stdout)
        XCTAssertEqual(given.out, prime + fromFile.out)
    }

    /// --probs: one JSON line per character, seeded like the text; the top list is sorted, sums to at
    /// most 1 and holds the character when it is among the likeliest; −log p is what `eval --per-char`
    /// gives at that position of the same text.
    func testProbsAreSortedReproducibleAndMatchEvalPerChar() throws {
        let arguments = ["sample", "--probs", "4", "--length", "60", "--seed", "3", "--temp", "1"]
        let result = try run(arguments)
        XCTAssertEqual(result.stdout, try run(arguments).stdout, "--probs with --seed is not reproducible")
        let lines = try jsonLines(result)
        XCTAssertEqual(lines.count, 60)
        var text = "", probabilities: [Double] = []
        for line in lines {
            let char = try XCTUnwrap(line["char"] as? String), p = try XCTUnwrap(line["p"] as? Double)
            let top = try XCTUnwrap(line["top"] as? [[Any]])
            let topP = top.compactMap { $0[1] as? Double }
            XCTAssertEqual(top.count, 4)
            XCTAssertLessThanOrEqual(topP.reduce(0, +), 1 + 1e-6)
            XCTAssertEqual(topP, topP.sorted(by: >))
            XCTAssertTrue(p > 0 && p <= topP[0] * (1 + 1e-6))
            if let rank = top.firstIndex(where: { $0[0] as? String == char }) { XCTAssertEqual(topP[rank], p, accuracy: 1e-6) }
            text += char
            probabilities.append(p)
        }
        // The sample followed a line break (the default context): eval scores the text after it.
        let path = try sandbox.write("\n" + text, to: "sampled.txt")
        let losses = try jsonLines(try run(["eval", path, "--per-char"])).compactMap { $0["loss"] as? Double }
        XCTAssertEqual(losses.count, 60)
        for (p, loss) in zip(probabilities, losses) { XCTAssertEqual(-log(p), loss, accuracy: 1e-4) }
    }

    /// --beam 1 is greedy; --beam 4 --count 3 prints three distinct beams; `next --json` lists the
    /// distribution --probs reports for the first character after the same text.
    func testBeamAndNext() throws {
        let greedy = try run(["sample", "--temp", "0", "--length", "100", "--prime", "The "])
        let beamOne = try run(["sample", "--beam", "1", "--length", "100", "--prime", "The "])
        XCTAssertEqual(beamOne.stdout, greedy.stdout)
        let three = try run(["sample", "--beam", "4", "--count", "3", "--length", "60", "--prime", "The "])
        let beams = three.out.dropLast().components(separatedBy: "\n\n")
        XCTAssertEqual(beams.count, 3, three.out)
        XCTAssertEqual(Set(beams).count, 3)
        for beam in beams { XCTAssertEqual(beam.scalarCount, 4 + 60, beam) }

        let next = try jsonObject(try run(["next", "The ", "--top", "5", "--json"]).stdout)
        let probs = try jsonLines(try run(["sample", "--probs", "5", "--length", "1", "--prime", "The ", "--seed", "1"]))
        let nextTop = try XCTUnwrap(next["top"] as? [[Any]]), sampledTop = try XCTUnwrap(probs.first?["top"] as? [[Any]])
        XCTAssertEqual(nextTop.compactMap { $0[0] as? String }, sampledTop.compactMap { $0[0] as? String })
        let text = try run(["next", "The ", "--top", "3"])
        XCTAssertEqual(text.out.split(separator: "\n").count, 3, text.out)
    }

    /// A byte-level model takes every sampling flag: prime file, beam, probs, and reproducible seeds.
    func testByteLevelModelTakesEveryFlag() throws {
        let bytes = try trainTiny(corpus: sandbox.path("corpus.txt"), out: "bytes", steps: 10, extra: ["--bytes"])
        let path = try sandbox.write(String(Fixtures.corpusText.prefix(300)), to: "prime.txt")
        for flags in [["--beam", "3", "--count", "2"], ["--probs", "2", "--seed", "5"], ["--seed", "5", "--top-k", "3"]] {
            let arguments = ["sample", "--checkpoint", bytes, "--prime-file", path, "--length", "30"] + flags
            let first = try sandbox.run(arguments), again = try sandbox.run(arguments)
            assertSuccess(first, "\(flags)")
            XCTAssertFalse(first.stdout.isEmpty)
            XCTAssertEqual(first.stdout, again.stdout, "\(flags) is not reproducible")
        }
    }

    func testBadSamplingInputFailsBeforeWork() throws {
        _ = try sandbox.write(Data([0x61, 0x62, 0xFF, 0x63]), to: "latin.txt")
        let usage: [([String], String)] = [
            (["--beam", "0"], "--beam"), (["--beam", "2", "--probs", "3"], "--probs"),
            (["--beam", "2", "--count", "3"], "--count"), (["--beam", "2", "--temp", "1"], "--temp"),
            (["--prime", "a", "--prime-file", "latin.txt"], "--prime-file"), (["--probs", "0"], "--probs"),
            (["--beam-length-penalty", "1"], "--beam"), (["--beam", "256", "--length", "1000000"], "--length"),
        ]
        for (flags, name) in usage {
            let result = try sandbox.run(["sample", "--checkpoint", checkpoint] + flags)
            assertCleanFailure(result, code: 64, mentions: [name], oneLine: false)
            XCTAssertTrue(result.stdout.isEmpty)
        }
        assertCleanFailure(try sandbox.run(["next", "x", "--top", "0", "--checkpoint", checkpoint]), code: 64,
                           mentions: ["--top"], oneLine: false)
        let missing = try sandbox.run(["sample", "--checkpoint", checkpoint, "--prime-file", "nope.txt"])
        assertCleanFailure(missing, code: 1, mentions: ["nope.txt", "no such file"])
        let latin = try sandbox.run(["sample", "--checkpoint", checkpoint, "--prime-file", "latin.txt"])
        assertCleanFailure(latin, code: 1, mentions: ["latin.txt", "byte offset 2", "UTF-8"])
        XCTAssertTrue(latin.stdout.isEmpty)
    }
}
