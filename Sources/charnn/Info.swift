import ArgumentParser
import CharRNN
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a checkpoint: model, vocabulary, training state, sizes.")

    @Argument(help: "Checkpoint (default: as for sample).") var path: String?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        do {
            let file = try CheckpointDiscovery.resolve(path)
            let report = try CheckpointReport(path: file)
            if json {
                print(report.json())
            } else {
                print(report.text())
            }
        } catch {
            throw fail(error)
        }
    }
}
