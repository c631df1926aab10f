import ArgumentParser
import CharRNN
import Foundation

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore diacritics or letter case with a model trained on a restoration task.",
        discussion: "Reads TEXT, or standard input when none is given, and prints the restored text.")

    @Option(help: "Checkpoint of a restoration model (default: as for sample).") var checkpoint: String?
    @Argument(help: "Text to restore.") var text: String?

    func run() throws {
        do {
            let path = try CheckpointDiscovery.resolve(checkpoint)
            let restorer = try Restorer(checkpoint: try Checkpoint.read(from: path), path: path)
            let input = try text ?? {
                let bytes = FileHandle.standardInput.readDataToEndOfFile()
                guard let string = String(data: bytes, encoding: .utf8) else {
                    throw CLIError("standard input is not UTF-8 text; pass UTF-8")
                }
                return string
            }()
            let out = OutputStream()
            out.write(restorer.restore(input))
            if text != nil { out.write("\n") }
            out.flush()
        } catch {
            throw fail(error)
        }
    }
}
