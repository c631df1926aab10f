import ArgumentParser
import CharRNN
import Foundation

@main
struct Charnn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charnn",
        abstract: "Character-level language models: stacked LSTM/GRU char-RNNs trained on the CPU.",
        discussion: """
        Train on a text file, then sample from the model:
          charnn train corpus.txt
          charnn sample --temp 0.8
        """,
        subcommands: [Train.self, Sample.self, Next.self, Eval.self, Info.self, Export.self, Restore.self, Compare.self,
                      Sweep.self, Probe.self, Bench.self, Serve.self]
    )

    static func main() {
        ChildProcess.stopWithParentIfAsked()
        BLASKernels.reexecuteIfOpenBLASChoseWeakKernels()  // before anything is read or written
        signal(SIGPIPE, SIG_IGN)
        do {
            try RecurrentKernels.applyEnvironment()
        } catch {
            exit(withError: error)
        }
        var command: ParsableCommand
        do {
            command = try parseAsRoot(rewriteBareResume(Array(CommandLine.arguments.dropFirst())))
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    /// `--resume` takes an optional path: a bare `--resume` (last, or followed by another option or
    /// by something that is not a checkpoint) means the `latest` checkpoint of `--out`.
    static func rewriteBareResume(_ arguments: [String]) -> [String] {
        guard arguments.first == "train" else { return arguments }  // elsewhere --resume is a flag
        var result: [String] = []
        for (index, argument) in arguments.enumerated() {
            guard argument == "--resume" else { result.append(argument); continue }
            let next = index + 1 < arguments.count ? arguments[index + 1] : nil
            if let next, !next.hasPrefix("-"), next.hasSuffix(".zst") {
                result.append(argument)
            } else {
                result.append("--resume=\(Train.latestInOut)")
            }
        }
        return result
    }
}
