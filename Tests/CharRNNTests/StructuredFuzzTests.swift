import CheckpointSurgery
import Foundation
import XCTest
@testable import CharRNN

/// The structured checkpoint fuzzer, run in-process: real checkpoints (LSTM with Adam's moments and
/// the carried state, a GRU, an LSTM-LN, weights only) changed by 1 to 4 seeded `CheckpointMutator`
/// mutations each, framed as valid zstd, and read as `Checkpoint.read` reads a file. Runs for
/// `CHARNN_FUZZ_SECONDS` (default 60). A trap ends the test process, which fails the suite; the
/// input it died on is left in `charnn-structured-fuzz-current.safetensors.zst` in the temporary
/// folder. Besides, every input must end, within 2 seconds, in a consistent checkpoint or in a
/// one-line `CheckpointError` that names the file.
final class StructuredFuzzTests: XCTestCase {
    private let path = "fuzzed.safetensors.zst"

    func testStructuredMutationsNeverCrashTheReader() throws {
        let seconds = ProcessInfo.processInfo.environment["CHARNN_FUZZ_SECONDS"].flatMap(Double.init) ?? 60
        let bases = try Self.bases()
        let current = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("charnn-structured-fuzz-current.safetensors.zst")
        var outcomes: [String: Int] = [:]
        var executions = 0, slowest = 0.0
        var seed: UInt64 = 0
        let clock = ContinuousClock(), started = clock.now
        while clock.now - started < .seconds(seconds) {
            seed += 1
            var random = SplitMix64(seed: seed)
            var mutator = bases[Int(random.next() % UInt64(bases.count))]
            for _ in 0..<Int.random(in: 1...4, using: &random) { mutator.mutate(using: &random) }
            let frame = mutator.framed()
            try Data(frame).write(to: current)
            let what = "seed \(seed): \(mutator.applied.joined(separator: ", "))"

            let before = clock.now
            let outcome: String
            do {
                let content = try ZstdFrame.decompress(frame, path: path, limit: Checkpoint.maximumContentSize)
                let checkpoint = try Checkpoint.decode(content, path: path)
                assertConsistent(checkpoint, what)
                outcome = "loaded"
            } catch {
                XCTAssertEqual(error.path, path, what)
                XCTAssertFalse(error.description.contains("\n"), "\(what): a message of several lines: \(error)")
                outcome = Mirror(reflecting: error).children.first?.label ?? "\(error)"
            }
            let elapsed = (clock.now - before) / .seconds(1)
            slowest = max(slowest, elapsed)
            XCTAssertLessThan(elapsed, 2, "\(what): \(outcome) took \(elapsed) s")
            outcomes[outcome, default: 0] += 1
            executions += 1
        }
        try? FileManager.default.removeItem(at: current)
        let summary = outcomes.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("structured fuzzing: \(executions) inputs in \(Int(seconds)) s, slowest \(String(format: "%.3f", slowest)) s, "
              + "0 crashes; outcomes: \(summary)")
        // The inputs reach past the frame and the JSON into the checks behind them.
        XCTAssertGreaterThan(executions, 100)
        XCTAssertGreaterThan(outcomes["loaded"] ?? 0, 0, summary)
        for deep in ["badMetadata", "shapeMismatch", "tensorOutOfRange", "byteCountMismatch", "unsupportedDtype"] {
            XCTAssertGreaterThan(outcomes[deep] ?? 0, 0, "no input reached \(deep): \(summary)")
        }
    }

    /// Every mutation kind produces a file that differs from its base and still frames as zstd.
    func testEveryMutationChangesTheFile() throws {
        let bases = try Self.bases()
        for mutation in CheckpointMutator.Mutation.allCases {
            var changed = 0
            for seed in 0..<20 {
                var random = SplitMix64(seed: UInt64(seed))
                var mutator = bases[seed % bases.count]
                mutator.apply(mutation, using: &random)
                let frame = mutator.framed()
                XCTAssertNoThrow(try ZstdFrame.decompress(frame, path: path, limit: Checkpoint.maximumContentSize), "\(mutation)")
                if mutator.encoded() != bases[seed % bases.count].encoded() { changed += 1 }
            }
            XCTAssertGreaterThan(changed, 10, "\(mutation) left the file unchanged in \(20 - changed) of 20 tries")
        }
    }

    private func assertConsistent(_ checkpoint: Checkpoint, _ what: String) {
        let layout = ParameterLayout(checkpoint.config)
        XCTAssertEqual(checkpoint.parameters.count, layout.totalCount, what)
        XCTAssertEqual(checkpoint.config.vocabularySize, checkpoint.vocabulary.count, what)
        XCTAssertEqual(checkpoint.adamM == nil, checkpoint.adamV == nil, what)
        if let m = checkpoint.adamM { XCTAssertEqual(m.count, layout.totalCount, what) }
        if let v = checkpoint.adamV { XCTAssertEqual(v.count, layout.totalCount, what) }
    }

    // MARK: - Real checkpoints to start from

    nonisolated(unsafe) private static var cached: [CheckpointMutator]?

    static func bases() throws -> [CheckpointMutator] {
        if let cached { return cached }
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let corpus = folder + "/corpus.txt"
        try syntheticText(characters: 3000).write(toFile: corpus, atomically: true, encoding: .utf8)
        var raws: [[UInt8]] = []
        for (index, cell) in [CellKind.lstm, .gru, .layerNormLSTM].enumerated() {
            var options = tinyOptions(corpus: corpus, out: folder + "/run\(index)", steps: 2)
            options.cell = cell
            options.gruVariant = .resetAfter
            options.layerCount = 1 + index % 2
            options.hiddenSize = 6
            options.embeddingSize = 4
            _ = try Trainer(options: options).run { _ in }
            let file = folder + "/run\(index)/latest.safetensors.zst"
            raws.append(try ZstdFrame.decompress(AtomicFile.readAll(path: file), path: file, limit: Checkpoint.maximumContentSize))
        }
        var weightsOnly = try Checkpoint.decode(raws[0], path: "lstm")
        weightsOnly.dropTrainingState()
        raws.append(weightsOnly.encoded())
        let bases = try raws.map { try XCTUnwrap(CheckpointMutator(safetensors: $0), "a real checkpoint did not parse") }
        cached = bases
        return bases
    }
}
