import Foundation

/// Everything a sweep needs to continue after a stop, saved as `sweep.json` in its folder after
/// every change: the search, the schedule, and each trial's progress.
public struct SweepState: Codable, Sendable {
    public enum Budget: Codable, Equatable, Sendable {
        /// Optimiser steps summed over all trials: deterministic given the seed.
        case steps(total: Int)
        /// Wall-clock seconds of the whole sweep, with `jobs` trials running at once.
        case seconds(total: Double, jobs: Int)
    }

    public enum TrialStatus: String, Codable, Sendable {
        /// Waiting to train (or continue) in `rung`.
        case pending
        /// Has trained rung `rung`'s budget; waits for the rung's verdict.
        case rungDone = "rung-done"
        /// Not promoted past `rung`.
        case pruned
        /// The process failed (diverged, or refused its flags); never promoted.
        case failed
        /// Trained the last rung.
        case finished
    }

    public struct Run: Codable, Sendable {
        public var rung: Int
        public var seconds: Double
        public var steps: Int
        public var bestValidationLoss: Double?
        public var charsPerSecond: Double?
        public var parameters: Int?
    }

    public struct Trial: Codable, Sendable {
        public var id: Int
        /// The flags that vary between trials, `--flag value` pairs.
        public var flags: [String]
        public var rung: Int
        public var status: TrialStatus
        public var runs: [Run] = []
        public var failure: String?

        public init(id: Int, flags: [String], rung: Int = 0, status: TrialStatus = .pending) {
            (self.id, self.flags, self.rung, self.status) = (id, flags, rung, status)
        }

        public var bestValidationLoss: Double? { runs.compactMap(\.bestValidationLoss).filter(\.isFinite).min() }
        public var seconds: Double { runs.reduce(0) { $0 + $1.seconds } }
        public var steps: Int { runs.last?.steps ?? 0 }
        public var parameters: Int? { runs.compactMap(\.parameters).last }
        public var charsPerSecond: Double? { runs.compactMap(\.charsPerSecond).last }
        public var folder: String { String(format: "trials/%03d", id) }
    }

    public var corpus: [String]
    public var grid: SweepGrid
    /// Flags every trial gets, as given (`--embed 64` …).
    public var common: [String]
    public var budget: Budget
    public var eta: Int
    public var seed: UInt64
    public var trials: [Trial]

    public init(corpus: [String], grid: SweepGrid, common: [String], budget: Budget, eta: Int, seed: UInt64,
                trials: [Trial]) {
        (self.corpus, self.grid, self.common, self.budget) = (corpus, grid, common, budget)
        (self.eta, self.seed, self.trials) = (eta, seed, trials)
    }

    public var schedule: SuccessiveHalving {
        let total: Double
        switch budget {
        case .steps(let steps): total = Double(steps)
        case .seconds(let seconds, let jobs): total = seconds * Double(jobs)
        }
        return SuccessiveHalving(trialCount: trials.count, eta: eta, total: total)
    }

    public static let fileName = "sweep.json"

    public func save(in folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try AtomicFile.write(Array(data), to: (folder as NSString).appendingPathComponent(Self.fileName))
    }

    public static func load(from folder: String) throws -> SweepState {
        let path = (folder as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { throw SweepError.noSweep(folder: folder) }
        do {
            return try JSONDecoder().decode(SweepState.self, from: data)
        } catch {
            throw SweepError.unreadableState(path: path, reason: "\(error)")
        }
    }
}

/// Why a sweep cannot start or continue. Each description is one line: what, where, what to do.
public enum SweepError: Error, CustomStringConvertible, Equatable {
    case noSweep(folder: String)
    case unreadableState(path: String, reason: String)
    case folderHoldsSweep(folder: String)
    case emptyList(flag: String)
    case budgetTooSmall(perTrial: String, needed: String)
    case trialsFailed(count: Int, folder: String)
    case interrupted(signal: Int32, folder: String)
    case schedulerSilent(folder: String)
    case trialNotStarted(executable: String, reason: String)

    public var description: String {
        switch self {
        case .noSweep(let folder):
            return "\(folder): no sweep to resume (no \(SweepState.fileName)); start one without --resume"
        case .unreadableState(let path, let reason):
            return "\(path): cannot be read (\(reason)); start a new sweep in another --out"
        case .folderHoldsSweep(let folder):
            return "\(folder): holds another sweep; pass --resume to continue it, or choose another --out"
        case .emptyList(let flag):
            return "--\(flag): the list is empty; give one or more values separated by commas"
        case .budgetTooSmall(let perTrial, let needed):
            return "the first rung gets \(perTrial) per trial, less than \(needed) for one validation; "
                + "raise the budget or try fewer configurations (--samples)"
        case .trialsFailed(let count, let folder):
            return "all \(count) trials failed; see the trials' logs in \(folder)/trials"
        case .trialNotStarted(let executable, let reason):
            return "\(executable): cannot start a trial (\(reason)); check that the charnn binary is still there"
        case .schedulerSilent(let folder):
            return "\(folder): rank 0 of the sweep has gone silent (no heartbeat); this rank stops, restart the sweep with --resume"
        case .interrupted(let signal, let folder):
            return "stopped by \(Interruption.name(of: signal)); "
                + "every running trial saved; continue with charnn sweep --resume --out \(folder)"
        }
    }
}
