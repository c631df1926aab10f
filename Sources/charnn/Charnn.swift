import ArgumentParser
import CharRNN

@main
struct Charnn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charnn",
        abstract: "Character-level language models: stacked LSTM/GRU char-RNNs trained on CPU.",
        subcommands: []
    )
}
