import Foundation

/// An ensemble's training (`--ensemble N`, or the budget rule's members): N models trained one after
/// another, each on the whole machine, with its own seed (`--seed`, `--seed` + 1, …) and folder
/// (OUT/member-k), sharing a `--time` budget (each takes an equal share of what is left) or each
/// training the given steps or epochs. Then the mixture, p(x) = (1/N) Σₖ pₖ(x), is scored on the
/// validation windows one model's validation uses, and OUT/ensemble.json names the members (what
/// `sample` and `eval` read), while OUT/best.safetensors.zst is the best member alone (what commands
/// that run one model read).
public struct EnsembleTraining {
    /// A member's options: every model flag fixed (the first trainer's choice taken), the budget whole.
    let options: TrainingOptions
    let members: Int
    /// Whether the budget rule chose the model: members then stop as a chosen run does (`--patience`).
    let chosen: Bool
    /// The budget rule's plan line, printed before the members train.
    let plan: String?
    /// Each member's cell when the rule chose it (`BudgetRule.cells`); nil: every member the options' cell.
    let cells: [CellKind]?

    public init(trainer: Trainer) {
        options = trainer.options
        members = trainer.ensembleMembers
        chosen = trainer.budgetChoice != nil
        plan = trainer.budgetChoice?.summary
        cells = trainer.budgetChoice?.memberCells
    }

    /// Seconds kept at the end of a time budget for scoring the mixture.
    static let scoringReserve = 15.0

    public func memberFolder(_ k: Int) -> String {
        (options.outputFolder as NSString).appendingPathComponent("member-\(k + 1)")
    }

    /// Trains every member, then scores and writes the ensemble. `note` hears a line before each member.
    public func run(note: (String) -> Void, report: (TrainingEvent) -> Void) throws -> EnsembleSummary {
        let clock = ContinuousClock(), start = clock.now
        let manifestPath = (options.outputFolder as NSString).appendingPathComponent(EnsembleManifest.fileName)
        try? FileManager.default.removeItem(atPath: manifestPath)
        if let plan { note("budget: " + plan) }
        // Each member's kept checkpoint; a trainer (its model, optimiser and workspaces) lives only
        // while it trains, except the first's validation windows, which score the mixture.
        var kept: [String] = []
        var validation: (source: WindowSource, vocabulary: Vocabulary, batch: Int)?
        for k in 0..<members {
            var member = options
            member.ensemble = 1
            member.budgetChoosesModel = false
            member.seed = options.seed &+ UInt64(k)
            member.outputFolder = memberFolder(k)
            if let cells { member.cell = cells[k] }
            if chosen { member.patience = options.patience ?? TrainingDefaults.budgetPatience }
            if let total = options.budget.seconds {
                let left = total - Self.scoringReserve - (clock.now - start).inSeconds
                member.budget = .seconds(max(1, left / Double(members - k)))
            }
            let budget = member.budget.seconds.map { "--time " + ProgressPrinter.duration($0) }
                ?? BudgetChoice.describe(member.budget)
            let cell = cells.map { "\($0[k].displayName), " } ?? ""
            note("member \(k + 1) of \(members): \(cell)seed \(member.seed), \(budget), into \(member.outputFolder)")
            let trainer = try Trainer(options: member)
            let summary = try trainer.run(report: report)
            kept.append(summary.bestPath ?? summary.latestPath)
            if validation == nil {
                validation = (trainer.validator.source, trainer.vocabulary, trainer.configuration.batch)
            }
        }
        let scored = try score(kept, on: validation!)
        let paths = kept.enumerated().map { k, path in "member-\(k + 1)/" + (path as NSString).lastPathComponent }
        let manifest = EnsembleManifest(members: paths, memberValidationLosses: scored.members,
                                        validationLoss: scored.mixture)
        // The best member, for the commands that run one model.
        let bestPath = (options.outputFolder as NSString).appendingPathComponent("best.safetensors.zst")
        let bestMember = manifest.memberPath(manifest.bestMember, manifestPath: manifestPath)
        try AtomicFile.write(try AtomicFile.readAll(path: bestMember), to: bestPath)
        try manifest.write(to: manifestPath)
        return EnsembleSummary(memberValidationLosses: scored.members, validationLoss: scored.mixture,
                               manifestPath: manifestPath, bestMemberPath: bestMember, bestPath: bestPath,
                               elapsed: (clock.now - start).inSeconds)
    }

    /// Each member's kept checkpoint scored alone and mixed, on the first member's validation
    /// windows (every member lays the same text out alike).
    func score(_ checkpoints: [String], on validation: (source: WindowSource, vocabulary: Vocabulary, batch: Int))
        throws -> (members: [Double], mixture: Double) {
        let losses = try checkpoints.map { path in
            let validator = Validator(source: validation.source, model: try Checkpoint.read(from: path).makeModel(),
                                      vocabulary: validation.vocabulary, streams: 0..<validation.batch,
                                      totalStreams: validation.batch, group: .single)
            return validator.positionLosses()
        }
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(max(values.count, 1)) }
        return (losses.map(mean), mean(Mixture.losses(losses)))
    }
}

/// What an ensemble's training left: each member's validation alone and the mixture's.
public struct EnsembleSummary: Sendable {
    public var memberValidationLosses: [Double]
    public var validationLoss: Double
    public var manifestPath: String
    public var bestMemberPath: String
    /// OUT/best.safetensors.zst: a copy of the best member.
    public var bestPath: String
    public var elapsed: Double
}
