import ArgumentParser
import CharRNN
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a text with a model: loss per character, bits per character and perplexity.")

    @Argument(help: "The text to score.") var file: String
    @Option(help: "Checkpoint, or an ensemble's ensemble.json, to score with (default: as for sample).") var checkpoint: String?
    @Option(help: "OpenBLAS threads (batch-1 work gains little from more).") var threads = 1
    @Option(help: "Weight precision: f32 as trained, or f16 (the matrices rounded as sample --weights f16 reads them).")
    var weights = WeightPrecision.f32
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Print JSON lines instead: each scored character and its loss in nats, {\"char\": c, \"loss\": x}.")
    var perChar = false

    func run() throws {
        setBLASThreadCount(threads)
        do {
            let members = try CheckpointDiscovery.languageModels(checkpoint)
            let loaded = members[0]
            let bytes = try Corpus.readFile(atPath: file)
            if perChar {
                let scored = try Evaluator.score(fileBytes: bytes, path: file, members: members, weights: weights)
                let out = OutputStream()
                for (index, loss) in scored.losses.enumerated() {
                    guard out.write(JSONLines.loss(scored.ids[index + 1], nats: loss, vocabulary: loaded.vocabulary) + "\n")
                    else { return }
                }
                return out.flush()
            }
            let result = try Evaluator.evaluate(fileBytes: bytes, path: file, members: members, weights: weights)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            } else {
                print(String(format: "%.4f nats/char, %.4f bits/char, perplexity %.3f over %d characters",
                             result.natsPerChar, result.bitsPerChar, result.perplexity, result.charsScored))
                print("unknown characters skipped: \(result.unknownSkipped)")
            }
        } catch {
            throw fail(error)
        }
    }
}
