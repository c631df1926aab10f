import Foundation

/// Runs a sweep's schedule: rung by rung, each trial of the rung as a `charnn train` process
/// (`jobs` at once, the cores split between them), then the rung's verdict (`SuccessiveHalving`).
/// A promoted trial continues from its own `latest` checkpoint with `--resume`, never from scratch.
/// The state is saved after every trial, so a stopped sweep continues where it stopped.
public final class SweepRunner {
    public let folder: String
    public private(set) var state: SweepState
    let executable: String
    let jobs: Int
    let threadsPerJob: Int
    /// Ranks 1 ..< `ranks` of an MPI sweep, each a slot of its own besides this process's `jobs`.
    let ranks: Int
    let mailbox: SweepMailbox
    let report: (String) -> Void
    /// Ranks of an MPI sweep that went away during it: stopped by a signal of their own, or silent
    /// (while running a trial, or at the end).
    public private(set) var lostRanks: [Int] = []

    /// - Parameter executable: the `charnn` binary the trials run.
    public init(folder: String, state: SweepState, executable: String, jobs: Int, threadsPerJob: Int, ranks: Int = 1,
                report: @escaping (String) -> Void) {
        self.folder = folder
        self.state = state
        self.executable = executable
        self.jobs = jobs
        self.threadsPerJob = threadsPerJob
        self.ranks = ranks
        mailbox = SweepMailbox(sweepFolder: folder)
        self.report = report
    }

    /// The `charnn train` arguments of trial `trial` for rung `rung`, as a person would type them.
    public func trainArguments(trial: SweepState.Trial, rung: Int) -> [String] {
        let schedule = state.schedule
        var arguments = ["train"] + state.corpus + state.common + trial.flags
        let given = Set(arguments.filter { $0.hasPrefix("--") })
        for (flag, value) in Self.flagsTheBudgetRuleWouldChoose where !given.contains(flag) { arguments += [flag, value] }
        arguments += ["--seed", String(state.seed), "--out", trialFolder(trial), "--save-every", "0",
                      "--threads", String(threadsPerJob)]
        switch state.budget {
        case .steps:
            arguments += ["--steps", String(Self.steps(schedule.cumulativeBudgets[rung]))]
        case .seconds:
            let spent = trial.runs.filter { $0.rung == rung }.reduce(0) { $0 + $1.seconds }
            let left = max(1, schedule.increment(rung: rung) - spent)
            arguments += ["--time", String(format: "%.0fs", left.rounded(.up))]
        }
        if FileManager.default.fileExists(atPath: latestPath(trial)) { arguments.append("--resume") }
        return arguments
    }

    /// A trial trains what the grid says: `charnn train --time/--steps` would choose these flags
    /// itself (`BudgetRule`), so where the grid is silent they are given, at their defaults.
    static let flagsTheBudgetRuleWouldChoose: [(String, String)] = [
        ("--cell", TrainingDefaults.cell.rawValue), ("--layers", String(TrainingDefaults.layerCount)),
        ("--hidden", String(TrainingDefaults.hiddenSize)), ("--dropout", String(TrainingDefaults.dropout)),
        ("--batch", String(TrainingDefaults.batch)), ("--seq", String(TrainingDefaults.seq)),
        ("--lr", String(TrainingDefaults.learningRate)), ("--schedule", ScheduleKind.constant.rawValue),
    ]

    static func steps(_ budget: Double) -> Int { max(1, Int(budget.rounded())) }

    /// Trains every rung still to run, then leaves the verdicts in `state`. The other ranks of an MPI
    /// sweep are told to stop when it returns, whichever way.
    public func run() throws {
        if ranks > 1 {
            do { try Folder.create(mailbox.folder) } catch {
                throw SweepError.unreadableState(path: mailbox.folder, reason: error.description)
            }
            unlink(mailbox.finishedPath)
            for rank in 1..<ranks { unlink(mailbox.path("ended", rank: rank)) }
        }
        defer { if ranks > 1 { mailbox.touch(mailbox.finishedPath) } }
        let slots: [TrialSlot] = (0..<jobs).map { _ in LocalTrialSlot(executable: executable) }
            + (1..<max(ranks, 1)).map { RankTrialSlot(rank: $0, mailbox: mailbox) }
        let schedule = state.schedule
        for rung in 0..<schedule.rungCount {
            let waiting = state.trials.indices.filter { state.trials[$0].rung == rung && state.trials[$0].status == .pending }
            if !waiting.isEmpty {
                report("rung \(rung + 1) of \(schedule.rungCount): \(waiting.count) trial(s), "
                       + budgetText(schedule, rung: rung))
                try train(waiting, rung: rung, slots: slots)
            }
            decide(rung: rung, schedule: schedule)
            try state.save(in: folder)
        }
        if ranks > 1 {
            mailbox.touch(mailbox.finishedPath)
            lostRanks = awaitRanksEnding(slots.compactMap { $0 as? RankTrialSlot })
        }
        guard state.trials.contains(where: { $0.bestValidationLoss != nil }) else {
            throw SweepError.trialsFailed(count: state.trials.count, folder: folder)
        }
    }

    /// After the sweep: each rank either says it ended (`ended-R`) or falls silent for longer than a
    /// heartbeat may; those that fall silent, and those already lost, are returned.
    private func awaitRanksEnding(_ slots: [RankTrialSlot]) -> [Int] {
        var waiting = slots.filter(\.isUsable).map(\.rank)
        var lost = slots.filter { !$0.isUsable }.map(\.rank)
        let deadline = Date().addingTimeInterval(SweepMailbox.staleAfter + 2)
        while !waiting.isEmpty, Date() < deadline {
            waiting.removeAll { FileManager.default.fileExists(atPath: mailbox.path("ended", rank: $0)) }
            let silent = waiting.filter { mailbox.age(mailbox.path("alive", rank: $0)) > SweepMailbox.staleAfter }
            lost += silent
            waiting.removeAll { silent.contains($0) }
            if !waiting.isEmpty { usleep(50_000) }
        }
        return (lost + waiting).sorted()
    }

    private func budgetText(_ schedule: SuccessiveHalving, rung: Int) -> String {
        switch state.budget {
        case .steps: return "\(Self.steps(schedule.cumulativeBudgets[rung])) steps each in all"
        case .seconds: return String(format: "%.0f more seconds each", schedule.increment(rung: rung))
        }
    }

    /// Runs the trials `indices` for `rung`, one per free slot. A trial whose rank died goes back in
    /// the queue. On SIGINT or SIGTERM every running trial is asked to save and stop, the state is
    /// saved, and the sweep stops.
    private func train(_ indices: [Int], rung: Int, slots: [TrialSlot]) throws {
        var queue = indices[...]
        var running: [(index: Int, slot: TrialSlot, started: ContinuousClock.Instant)] = []
        var interrupted: Int32 = 0
        let clock = ContinuousClock()
        while !queue.isEmpty || !running.isEmpty {
            if ranks > 1 { mailbox.touch(mailbox.path("alive", rank: 0)) }
            if interrupted == 0, Interruption.pendingSignal != 0 {
                interrupted = Interruption.pendingSignal
                running.forEach { $0.slot.interrupt() }
                queue.removeAll()
            }
            for slot in slots where interrupted == 0 && slot.isUsable && !running.contains(where: { $0.slot === slot }) {
                guard let index = queue.popFirst() else { break }
                let arguments = trainArguments(trial: state.trials[index], rung: rung)
                report("  trial \(state.trials[index].id): charnn " + arguments.map(Self.quoted).joined(separator: " "))
                let trialPath = trialFolder(state.trials[index])
                do { try Folder.create(trialPath) } catch {
                    throw SweepError.unreadableState(path: trialPath, reason: error.description)
                }
                let log = (trialPath as NSString).appendingPathComponent("train.log")
                try slot.start(arguments: arguments, log: log)
                running.append((index, slot, clock.now))
            }
            guard slots.contains(where: \.isUsable) else { throw SweepError.trialsFailed(count: state.trials.count, folder: folder) }
            var stillRunning: [(index: Int, slot: TrialSlot, started: ContinuousClock.Instant)] = []
            for entry in running {
                guard let ending = entry.slot.poll() else { stillRunning.append(entry); continue }
                let elapsed = clock.now - entry.started
                let seconds = elapsed.inSeconds
                switch ending {
                case .exited(let code):
                    record(index: entry.index, rung: rung, exitCode: code, seconds: seconds, interrupted: interrupted != 0)
                case .lost(let because):
                    report("  trial \(state.trials[entry.index].id): its rank \(because); the trial runs again")
                    if interrupted == 0 { queue.append(entry.index) }
                }
                try state.save(in: folder)
            }
            running = stillRunning
            if !running.isEmpty || !queue.isEmpty { usleep(50_000) }
        }
        if interrupted != 0 { throw SweepError.interrupted(signal: interrupted, folder: folder) }
    }

    /// What a finished process leaves: its run (steps, best validation, speed) from its checkpoint
    /// and metrics; a trial stopped by the sweep's own interruption stays pending.
    private func record(index: Int, rung: Int, exitCode: Int32, seconds: Double, interrupted: Bool) {
        var trial = state.trials[index]
        let saved = try? Checkpoint.read(from: latestPath(trial))
        let run = SweepState.Run(rung: rung, seconds: seconds, steps: saved?.training?.step ?? trial.steps,
                                 bestValidationLoss: saved?.training?.bestValidationLoss,
                                 charsPerSecond: lastSpeed(trial), parameters: saved?.parameters.count)
        trial.runs.append(run)
        if exitCode == 0 {
            trial.status = .rungDone
            let bits = run.bestValidationLoss.map { String(format: "%.4f", $0 / Foundation.log(2.0)) } ?? "—"
            report("  trial \(trial.id) done: step \(run.steps), best validation \(bits) bits/char")
        } else if interrupted, exitCode == 130 || exitCode == 143 {
            trial.status = .pending
        } else {
            trial.status = .failed
            trial.failure = lastLine(of: (trialFolder(trial) as NSString).appendingPathComponent("train.log"))
            report("  trial \(trial.id) failed (exit \(exitCode)): \(trial.failure ?? "")")
        }
        state.trials[index] = trial
    }

    /// The rung's verdict: its best go on (pending in the next rung), the rest are pruned; after the
    /// last rung its trials are finished.
    private func decide(rung: Int, schedule: SuccessiveHalving) {
        let members = state.trials.indices.filter { state.trials[$0].rung == rung && state.trials[$0].status == .rungDone }
        guard !members.isEmpty,
              !state.trials.contains(where: { $0.rung == rung && $0.status == .pending }) else { return }
        if rung + 1 == schedule.rungCount {
            for i in members { state.trials[i].status = .finished }
            return
        }
        let promoted = Set(schedule.promoted(rung: rung, scores: members.map { (state.trials[$0].id, state.trials[$0].bestValidationLoss) }))
        for i in members {
            if promoted.contains(state.trials[i].id) {
                state.trials[i].rung = rung + 1
                state.trials[i].status = .pending
            } else {
                state.trials[i].status = .pruned
            }
        }
    }

    /// The trial that did best among those that went furthest.
    public var winner: SweepState.Trial? {
        let scored = state.trials.filter { $0.bestValidationLoss != nil && $0.status != .failed }
        guard let top = scored.map(\.rung).max() else { return nil }
        return scored.filter { $0.rung == top }.min { $0.bestValidationLoss! < $1.bestValidationLoss! }
    }

    public func trialFolder(_ trial: SweepState.Trial) -> String {
        (folder as NSString).appendingPathComponent(trial.folder)
    }

    func latestPath(_ trial: SweepState.Trial) -> String {
        (trialFolder(trial) as NSString).appendingPathComponent("latest.safetensors.zst")
    }

    public func bestPath(_ trial: SweepState.Trial) -> String {
        (trialFolder(trial) as NSString).appendingPathComponent("best.safetensors.zst")
    }

    func lastSpeed(_ trial: SweepState.Trial) -> Double? {
        let path = (trialFolder(trial) as NSString).appendingPathComponent("metrics.csv")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let last = text.split(separator: "\n").last else { return nil }
        let fields = last.split(separator: ",", omittingEmptySubsequences: false)
        return fields.count > 6 ? Double(fields[6]) : nil
    }

    private func lastLine(of path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last.map(String.init)
    }

    static func quoted(_ argument: String) -> String {
        argument.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,".contains($0) }) && !argument.isEmpty
            ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
