/// Why training stopped early. Each description is one line: what, where, what to do.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case diverged(step: Int, loss: Double, lastCheckpoint: String?)
    case interrupted(signal: Int32, savedTo: String)
    case architectureMismatch(checkpoint: String, differences: [String])
    case corpusMismatch(checkpoint: String, expected: CorpusFingerprint, found: CorpusFingerprint)
    case vocabularyMismatch(checkpoint: String)
    case noCheckpointToResume(path: String)
    case cannotCreateFolder(path: String, reason: String)
    case bidirectionalLanguageModel
    case restorationOfBytes(task: String)
    case batchNotDivisible(batch: Int, ranks: Int)
    case ranksDisagree(ranks: Int)

    public var description: String {
        switch self {
        case .diverged(let step, let loss, let last):
            let kept = last.map { "; the last good checkpoint is \($0)" } ?? ""
            return "training diverged at step \(step) (loss \(loss) nats/char)\(kept); try a lower --lr or a smaller --clip"
        case .interrupted(let signal, let path):
            return "stopped by \(Interruption.name(of: signal)); saved \(path); continue with --resume"
        case .architectureMismatch(let path, let differences):
            return "cannot resume \(path): \(differences.joined(separator: ", ")); drop those flags or start a new run with another --out"
        case .corpusMismatch(let path, let expected, let found):
            let changes = found.differences(from: expected).joined(separator: ", ")
            return "cannot resume \(path): the corpus differs from the one it was trained on (\(changes)); pass --force to continue on this corpus"
        case .vocabularyMismatch(let path):
            return "cannot resume \(path): this corpus has a different vocabulary than the checkpoint; train a new model with another --out"
        case .noCheckpointToResume(let path):
            return "nothing to resume: \(path) does not exist; train without --resume first, or give --resume PATH"
        case .cannotCreateFolder(let path, let reason):
            return "cannot create the output folder \(path): \(reason); choose another with --out"
        case .batchNotDivisible(let batch, let ranks):
            return "--batch \(batch) cannot be split evenly over \(ranks) ranks; choose a --batch divisible by \(ranks) or another -np"
        case .ranksDisagree(let ranks):
            return "the \(ranks) ranks ended with different weights; this is a bug, please report it with the command line"
        case .bidirectionalLanguageModel:
            return "a bidirectional model sees the characters it would have to predict, so it cannot generate text; "
                + "use it for --task restore-diacritics or --task restore-case, or drop --bidirectional"
        case .restorationOfBytes(let task):
            return "--task \(task) restores characters of a text, and a byte-level model has none; drop --bytes"
        }
    }
}
