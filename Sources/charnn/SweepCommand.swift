import ArgumentParser
import CharRNN
import Foundation

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search layers, hidden units, learning rate (and any listed train flag) by successive halving.",
        discussion: """
        Every configuration of the lists trains for a first rung's budget; the best 1/η continue from their own \
        checkpoints for η× as long, until one is left. Each trial is a `charnn train` command, printed so it can \
        be rerun by hand. OUT holds sweep.json (to --resume), sweep.csv, sweep.svg, trials/NNN and the winner's \
        best.safetensors.zst.
        """)

    @Argument(help: "The text to train on: files and folders, as for train.") var corpus: [String] = []

    @Option(help: "Recurrent cells to try, e.g. lstm,gru.") var cell: String?
    @Option(help: "GRU formulations to try.") var gruVariant: String?
    @Option(help: "Layer counts to try, e.g. 1,2,3.") var layers: String?
    @Option(help: "Hidden sizes to try, e.g. 128,256,512.") var hidden: String?
    @Option(help: "Embedding widths to try.") var embed: String?
    @Option(help: "Dropout probabilities to try, e.g. 0,0.25.") var dropout: String?
    @Option(help: "Batch sizes to try.") var batch: String?
    @Option(help: "Window lengths to try.") var seq: String?
    @Option(help: "Learning rates to try, e.g. 1e-3,2e-3,4e-3.") var lr: String?
    @Option(help: "Clipping norms to try.") var clip: String?
    @Option(help: "Weight decays to try.") var weightDecay: String?

    @Option(help: "Wall-clock budget of the whole sweep: 90s, 10m, 1h.") var budget: String?
    @Option(help: "Budget in optimiser steps summed over all trials (deterministic given the seed).") var budgetSteps: Int?
    @Option(help: "Promotion factor: the best 1/η of a rung continue, each for η× as long.") var eta = 3
    @Option(help: "Try K configurations drawn (seeded) from the grid instead of all of it.") var samples: Int?
    @Option(help: "Trials trained at once, the cores split between them. (default: every core when every hidden size is at most 256, else 1)")
    var jobs: Int?
    @Option(help: "Validate every N steps within a trial (and at the end of every rung).") var valEvery = 100
    @Option(help: "Fraction of the corpus, at its end, held out for validation (the same for every trial).") var valFrac: Double?
    @Option(help: "Seed of every trial.") var seed = TrainingDefaults.seed
    @Option(help: "Output folder of the sweep.") var out = "sweeps/sweep"
    @Flag(help: "Continue the stopped sweep in --out.") var resume = false

    /// The list flags, by name as `charnn train` spells them.
    private var lists: [(flag: String, text: String?)] {
        [("cell", cell), ("gru-variant", gruVariant), ("layers", layers), ("hidden", hidden), ("embed", embed),
         ("dropout", dropout), ("batch", batch), ("seq", seq), ("lr", lr), ("clip", clip), ("weight-decay", weightDecay)]
    }

    func validate() throws {
        if resume { return }
        try require(!corpus.isEmpty, "give the corpus to train on (or --resume --out FOLDER)")
        try require(!corpus.contains("-"), "a sweep reads its corpus once per trial: give files or folders, not -")
        try require((budget == nil) != (budgetSteps == nil), "give one budget: --budget DURATION or --budget-steps N")
        if let budget { try require(parseDuration(budget) != nil, "--budget must be a duration such as 90s, 10m or 1h, got \(budget)") }
        if let budgetSteps { try require(budgetSteps >= 1, "--budget-steps must be at least 1, got \(budgetSteps)") }
        try require(eta >= 2, "--eta must be at least 2, got \(eta)")
        if let samples { try require(samples >= 1, "--samples must be at least 1, got \(samples)") }
        if let jobs { try require(jobs >= 1 && jobs <= 256, "--jobs must be in 1...256, got \(jobs)") }
        try require(valEvery >= 0, "--val-every must be 0 or positive, got \(valEvery)")
        for list in lists {
            if let text = list.text {
                try require(!Self.values(text).isEmpty, SweepError.emptyList(flag: list.flag).description)
            }
        }
    }

    static func values(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let rank = environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init) ?? 0
        let ranks = environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init) ?? 1
        // Ranks sharing this machine share its cores.
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount
                           / (environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? 1))
        do {
            Interruption.install()
            if rank > 0 {
                // Every other rank works for rank 0, one trial at a time, until the sweep ends.
                try SweepWorker(sweepFolder: out, rank: rank, executable: Self.executablePath()).run()
                return
            }
            let state = try resume ? SweepState.load(from: out) : newSweep(cores: cores)
            let jobCount = ranks > 1 ? 1 : jobCount(for: state.grid, cores: cores)
            let runner = SweepRunner(folder: out, state: state, executable: Self.executablePath(),
                                     jobs: jobCount, threadsPerJob: max(1, cores / jobCount), ranks: ranks) { line in
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            let at = ranks > 1 ? "on \(ranks) ranks, one trial each" : "\(jobCount) at a time"
            FileHandle.standardError.write(Data("sweep of \(state.trials.count) trials in \(state.schedule.rungCount) rungs, \(at); \(out)/sweep.json\n".utf8))
            try runner.run()
            try publish(runner)
            if !runner.lostRanks.isEmpty {
                FileHandle.standardError.write(Data((LostHostLauncher.endAfterThisRank(lostRanks: runner.lostRanks, folder: out) + "\n").utf8))
            }
        } catch {
            throw fail(error)
        }
    }

    /// Trials at once: `--jobs`, else one per core when every model is small (at 256 hidden units and
    /// below a second thread inside one trial brings less than a second trial), else one with every core.
    private func jobCount(for grid: SweepGrid, cores: Int) -> Int {
        let hiddenSizes = grid.axes.first { $0.flag == "hidden" }?.values.compactMap(Int.init) ?? [TrainingDefaults.hiddenSize]
        return jobs ?? (hiddenSizes.allSatisfy { $0 <= 256 } ? cores : 1)
    }

    /// A new sweep's state, after checking every trial's flags as `charnn train` would.
    private func newSweep(cores: Int) throws -> SweepState {
        if FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent(SweepState.fileName)) {
            throw SweepError.folderHoldsSweep(folder: out)
        }
        let grid = SweepGrid(axes: lists.compactMap { list in
            list.text.map { SweepGrid.Axis(flag: list.flag, values: Self.values($0)) }
        })
        let configurations = grid.configurations(samples: samples, seed: seed)
        var common = ["--val-every", String(valEvery), "--log-every", "1000000"]
        if let valFrac { common += ["--val-frac", String(valFrac)] }
        for flags in configurations {
            do {
                _ = try Train.parse(corpus + common + flags)
            } catch {
                throw CLIError("the configuration \(flags.joined(separator: " ")) is refused by charnn train: "
                               + Train.message(for: error))
            }
        }
        let total: SweepState.Budget
        if let budgetSteps {
            total = .steps(total: budgetSteps)
        } else {
            let ranks = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init) ?? 1
            let parallel = ranks > 1 ? ranks : jobCount(for: grid, cores: cores)
            total = .seconds(total: parseDuration(budget!)!, jobs: min(parallel, configurations.count))
        }
        var state = SweepState(corpus: corpus, grid: grid, common: common, budget: total, eta: eta, seed: seed,
                               trials: configurations.enumerated().map {
                                   SweepState.Trial(id: $0.offset, flags: $0.element, rung: 0, status: .pending)
                               })
        let first = state.schedule.cumulativeBudgets[0]
        switch total {
        case .steps: if first < 1 { throw SweepError.budgetTooSmall(perTrial: String(format: "%.2f steps", first), needed: "1 step") }
        case .seconds: if first < 5 { throw SweepError.budgetTooSmall(perTrial: String(format: "%.1f s", first), needed: "5 s") }
        }
        do { try Folder.create(out) } catch { throw CLIError("cannot create \(out): \(error.description); choose another --out") }
        state.trials.sort { $0.id < $1.id }
        try state.save(in: out)
        return state
    }

    /// The table, CSV, plot and the winner's checkpoint, with the command that continues it.
    private func publish(_ runner: SweepRunner) throws {
        let report = SweepReport(runner: runner)
        print(report.table())
        try AtomicFile.write(Array(report.csv().utf8), to: (out as NSString).appendingPathComponent("sweep.csv"))
        let title = "sweep on " + ((runner.state.corpus.first ?? "") as NSString).lastPathComponent
        try AtomicFile.write(Array(report.svg(title: title).utf8), to: (out as NSString).appendingPathComponent("sweep.svg"))
        guard let winner = runner.winner else { return }
        let best = (out as NSString).appendingPathComponent("best.safetensors.zst")
        let bytes = try AtomicFile.readAll(path: runner.bestPath(winner))
        try AtomicFile.write(bytes, to: best)
        print("winner: trial \(winner.id) (\(winner.flags.joined(separator: " "))); \(best)")
        print("continue training it: charnn train " + (runner.state.corpus + runner.state.common + winner.flags).joined(separator: " ")
              + " --seed \(runner.state.seed) --out \(runner.trialFolder(winner)) --resume --time 10m")
        print("sample from it: charnn sample --checkpoint \(best)")
    }

    /// This binary, for the trials to run.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
