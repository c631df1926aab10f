import ArgumentParser
import CharRNN
import Foundation

struct Next: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the model's distribution over the next character after a text.",
        discussion: "Prints the --top likeliest characters with their probabilities (the model's own, temperature 1).")

    @Argument(help: "The text (any length); - reads it from standard input; empty: the start of a text.") var text: String
    @Option(help: "Characters to list.") var top = 10
    @Option(help: "Checkpoint (default: as for sample).") var checkpoint: String?
    @Flag(help: "Print one JSON object: {\"top\": [[c, p], …]}.") var json = false
    @Flag(help: "Drop characters of the text that the model does not know (with a note) instead of failing.")
    var skipUnknown = false
    @Option(help: "OpenBLAS threads (batch-1 work gains little from more).") var threads = 1

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1, got \(top)") }
    }

    func run() throws {
        setBLASThreadCount(threads)
        do {
            let loaded = try CheckpointDiscovery.languageModel(checkpoint)
            let generator = TextGenerator(checkpoint: loaded)
            let (ids, _) = try PrimeInput(text: text, file: nil, flag: "TEXT").read(for: loaded, skipUnknown: skipUnknown)
            generator.prime(ids)
            let likeliest = CharacterDistribution(logits: generator.logits).top(top)
            if json {
                print(JSONLines.distribution(likeliest, vocabulary: loaded.vocabulary))
            } else {
                for (id, probability) in likeliest {
                    print(String(format: "%.4f  ", probability) + JSONLines.quoted(loaded.vocabulary.symbol(id)))
                }
            }
        } catch {
            throw fail(error)
        }
    }
}
