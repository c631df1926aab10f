import Foundation

/// `OUT/ensemble.json`, written by a training run of several members (`EnsembleTraining`): the
/// members' checkpoints, relative to the manifest's folder, and their validation. `charnn sample`
/// and `charnn eval` read it as one model whose probabilities are the mean of the members'
/// (`Mixture`); commands that run one model are pointed to `bestMember`.
public struct EnsembleManifest: Codable, Equatable, Sendable {
    public static let fileName = "ensemble.json"
    static let formatTag = "charnn-ensemble-1"

    public var format = EnsembleManifest.formatTag
    /// Checkpoint paths relative to the manifest's folder.
    public var members: [String]
    /// Index into `members` of the one that validated best alone.
    public var bestMember: Int
    public var memberValidationLosses: [Double]
    /// The mixture's validation loss, nats per character.
    public var validationLoss: Double

    enum CodingKeys: String, CodingKey {
        case format, members, bestMember = "best_member", memberValidationLosses = "member_validation_losses"
        case validationLoss = "validation_loss"
    }

    public init(members: [String], memberValidationLosses: [Double], validationLoss: Double) {
        self.members = members
        self.memberValidationLosses = memberValidationLosses
        self.validationLoss = validationLoss
        bestMember = memberValidationLosses.indices.min { memberValidationLosses[$0] < memberValidationLosses[$1] } ?? 0
    }

    /// Whether `path` names a manifest rather than a checkpoint.
    public static func names(_ path: String) -> Bool { path.hasSuffix(".json") }

    public func write(to path: String) throws(CheckpointError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(self) } catch {
            throw .writeFailed(path: path, reason: "\(error)")
        }
        try AtomicFile.write(Array(data) + [0x0A], to: path)
    }

    public static func read(from path: String) throws(CheckpointError) -> EnsembleManifest {
        let bytes = try AtomicFile.readAll(path: path)
        let manifest: EnsembleManifest
        do { manifest = try JSONDecoder().decode(EnsembleManifest.self, from: Data(bytes)) } catch {
            throw .badEnsemble(path: path, reason: "not an ensemble manifest: \(error.localizedDescription)")
        }
        guard manifest.format == formatTag else {
            throw .unsupportedFormat(path: path, found: manifest.format, supported: formatTag)
        }
        guard !manifest.members.isEmpty, manifest.members.indices.contains(manifest.bestMember) else {
            throw .badEnsemble(path: path, reason: "it names no member, or its best member is out of range")
        }
        return manifest
    }

    /// A member's path as the caller can open it.
    public func memberPath(_ index: Int, manifestPath: String) -> String {
        let member = members[index]
        if member.hasPrefix("/") { return member }
        return ((manifestPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(member)
    }

    /// Every member's checkpoint: language models of one vocabulary and normalisation.
    public func loadMembers(manifestPath: String) throws(CheckpointError) -> [Checkpoint] {
        var loaded: [Checkpoint] = []
        for index in members.indices {
            let path = memberPath(index, manifestPath: manifestPath)
            let member = try Checkpoint.read(from: path)
            guard member.task == .lm, !member.config.bidirectional else {
                throw .notLanguageModel(path: path, task: member.task.rawValue)
            }
            if let first = loaded.first, first.vocabulary != member.vocabulary || first.normalization != member.normalization {
                throw .badEnsemble(path: manifestPath, reason: "\(path) has another vocabulary than the first member")
            }
            loaded.append(member)
        }
        return loaded
    }
}
