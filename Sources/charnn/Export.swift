import ArgumentParser
import CharRNN
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rewrite a checkpoint, optionally without the optimiser state.")

    @Argument(help: "Checkpoint to read.") var path: String
    @Option(name: .shortAndLong, help: "File to write (NAME.safetensors.zst).") var output: String
    @Flag(help: "Keep the weights and configuration only: no Adam moments, no training state (a much smaller file to share).")
    var weightsOnly = false

    func run() throws {
        do {
            var checkpoint = try Checkpoint.read(from: path)
            if weightsOnly { checkpoint.dropTrainingState() }
            try checkpoint.write(to: output)
            let written = try Checkpoint.read(from: output)
            print("wrote \(output): \(written.compressedSize) bytes (\(path): \(checkpoint.compressedSize) bytes)")
        } catch {
            throw fail(error)
        }
    }
}
