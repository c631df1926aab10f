import Foundation

/// The checkpoint a command reads when it names none: `./checkpoints/best`, else `latest`, as
/// `charnn train` leaves them; commands that take an ensemble look for `./checkpoints/ensemble.json` first.
public enum CheckpointDiscovery {
    public static let candidates = ["checkpoints/best.safetensors.zst", "checkpoints/latest.safetensors.zst"]
    public static let ensembleCandidate = "checkpoints/" + EnsembleManifest.fileName

    /// `given`, else the first candidate that exists.
    public static func resolve(_ given: String?) throws(CheckpointError) -> String {
        if let given { return given }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw .noneFound(candidates: candidates)
    }

    /// The language model at `given` (or found as `resolve` finds it), refusing a restoration model
    /// (and, as `Checkpoint.read` does, an ensemble).
    public static func languageModel(_ given: String?) throws(CheckpointError) -> Checkpoint {
        let path = try resolve(given)
        let loaded = try Checkpoint.read(from: path)
        guard loaded.task == .lm, !loaded.config.bidirectional else {
            throw .notLanguageModel(path: path, task: loaded.task.rawValue)
        }
        return loaded
    }

    /// For commands that run an ensemble as one model: its members when `given` is a manifest (or,
    /// given nothing, when `./checkpoints/ensemble.json` exists), else the one language model.
    public static func languageModels(_ given: String?) throws(CheckpointError) -> [Checkpoint] {
        let manifestPath = given.map { EnsembleManifest.names($0) ? $0 : nil }
            ?? (FileManager.default.fileExists(atPath: ensembleCandidate) ? ensembleCandidate : nil)
        guard let manifestPath else { return [try languageModel(given)] }
        return try EnsembleManifest.read(from: manifestPath).loadMembers(manifestPath: manifestPath)
    }
}
