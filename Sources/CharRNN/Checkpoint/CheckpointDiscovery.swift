import Foundation

/// The checkpoint a command reads when it names none: `./checkpoints/best`, else `latest`, as
/// `charnn train` leaves them.
public enum CheckpointDiscovery {
    public static let candidates = ["checkpoints/best.safetensors.zst", "checkpoints/latest.safetensors.zst"]

    /// `given`, else the first candidate that exists.
    public static func resolve(_ given: String?) throws(CheckpointError) -> String {
        if let given { return given }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw .noneFound(candidates: candidates)
    }

    /// The language model at `given` (or found as `resolve` finds it), refusing a restoration model.
    public static func languageModel(_ given: String?) throws(CheckpointError) -> Checkpoint {
        let path = try resolve(given)
        let loaded = try Checkpoint.read(from: path)
        guard loaded.task == .lm, !loaded.config.bidirectional else {
            throw .notLanguageModel(path: path, task: loaded.task.rawValue)
        }
        return loaded
    }
}
