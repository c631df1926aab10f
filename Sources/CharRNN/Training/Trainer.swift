import Foundation

/// Trains a char-RNN on a corpus: stream-major truncated-BPTT windows, Adam, global-norm clipping,
/// periodic validation, atomic checkpoints and exact resume. Setting up (`init`) resolves the run
/// and restores a resumed one; `run()` is the loop.
public final class Trainer {
    public let options: TrainingOptions
    public let configuration: RunConfiguration
    public let corpus: Corpus
    /// What the folder walks passed over (hidden, not text, …), for the command line to mention.
    public let skippedFiles: [SkippedFile]
    /// The model's vocabulary: the corpus's, plus degraded forms for a restoration task.
    public let vocabulary: Vocabulary
    public let config: ModelConfig
    public let model: CharRNNModel<Float>
    let adam: Adam
    /// `--ema`: weights each validation scores beside those as trained (the lower is kept).
    let average: WeightAverage?
    let replicas: StreamReplicas
    let training: WindowSource
    let validator: Validator
    let schedule: LearningRateSchedule
    let learningRate: Double
    /// What the budget rule chose, when it chose the model.
    public let budgetChoice: BudgetChoice?
    /// Models to train for this run: `--ensemble`, else the budget rule's members, else 1; from 2 the
    /// caller trains them (`EnsembleTraining`) instead of running this trainer.
    public var ensembleMembers: Int { options.ensemble ?? budgetChoice?.members ?? 1 }
    /// Steps in total (including those before a resume), when the budget fixes it.
    let totalSteps: Int?
    let latestPath: String, bestPath: String
    let resumedFrom: String?
    /// Characters of validation text (each validation scores them all).
    public let validationCharacters: Int
    /// The processes training this model together; this one takes `shard.streams` of the batch.
    let group: ProcessGroup
    let shard: StateShard
    public var streamsPerRank: Int { shard.streams.count }

    var step = 0
    var bestValidationLoss: Double?
    var lastValidationLoss: Double?
    /// The loss of this run's first step: divergence is judged against it.
    var firstLoss: Double?
    /// Validations in a row without a new best, for `--patience` (counted from this run's start).
    var validationsWithoutImprovement = 0
    /// `--patience` as given, or its default for the run (`TrainingOptions.patience`).
    let patience: Patience
    /// This run's last new best (or its start): the step, and the seconds into the run.
    var lastImprovement = (step: 0, elapsed: 0.0)

    /// With a `group` of N ranks, rank r trains on streams r·B/N ..< (r+1)·B/N of every window.
    /// `loading` hears how far reading the corpus has come.
    public init(options given: TrainingOptions, group: ProcessGroup = .single,
                loading: ((LoadingProgress) -> Void)? = nil) throws {
        var options = given
        self.group = group
        latestPath = (options.outputFolder as NSString).appendingPathComponent("latest.safetensors.zst")
        bestPath = (options.outputFolder as NSString).appendingPathComponent("best.safetensors.zst")

        let latest = latestPath
        let resumed = try options.resume.map { given in
            let path = given.isEmpty ? latest : given
            guard FileManager.default.fileExists(atPath: path) else { throw TrainingError.noCheckpointToResume(path: path) }
            return (path: path, checkpoint: try Checkpoint.read(from: path))
        }
        resumedFrom = resumed?.path
        // A resumed run keeps its rate and schedule unless they are given again.
        if let record = resumed?.checkpoint.training {
            options.learningRate = options.learningRate ?? record.learningRate
            options.schedule = options.schedule ?? ScheduleKind(rawValue: record.schedule)
            options.warmupSteps = options.warmupSteps ?? record.warmupSteps
            options.lockedDropout = options.lockedDropout ?? record.lockedDropout
            options.weightDropout = options.weightDropout ?? record.weightDropout
            options.embeddingDropout = options.embeddingDropout ?? record.embeddingDropout
            options.averageDecay = options.averageDecay ?? record.averageDecay
        }
        var run = try RunConfiguration(options: options, resumed: resumed?.checkpoint)
        let selection = try CorpusSources.resolve(options.corpusPaths, include: options.include,
                                                  tokenization: run.tokenization)
        skippedFiles = selection.skipped
        var reading = CorpusOptions()
        reading.tokenization = run.tokenization
        reading.normalization = run.normalization
        reading.separator = run.separator
        reading.holdout = Holdout(fraction: run.validationFraction, limit: run.validationLimit)
        corpus = try Corpus.load(selection.files, options: reading, progress: loading)
        let prepared = run.task.prepare(corpus)
        vocabulary = prepared.vocabulary
        // Threads go to replicas splitting the streams when they divide evenly, else into OpenBLAS.
        let threads = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        budgetChoice = Trainer.chooseModel(options: options, run: run, resumed: resumed != nil,
                                           trainingCharacters: prepared.training.count,
                                           validationCharacters: prepared.validation.count,
                                           vocabularySize: vocabulary.count, threads: threads, group: group)
        if let budgetChoice {
            options = options.taking(budgetChoice)
            // Timing the candidates is part of the user's --time.
            if let seconds = options.budget.seconds {
                options.budget = .seconds(max(1, seconds - budgetChoice.measuringSeconds))
            }
            run = try RunConfiguration(options: options, resumed: nil)
        }
        self.options = options
        configuration = run
        config = run.modelConfig(vocabularySize: vocabulary.count)
        if let resumed {
            try run.checkCompatible(with: resumed.checkpoint, path: resumed.path, corpus: corpus.fingerprint,
                                    vocabulary: vocabulary, force: options.force)
        }

        guard run.batch % group.size == 0 else { throw TrainingError.batchNotDivisible(batch: run.batch, ranks: group.size) }
        let share = run.batch / group.size
        let streams = (group.rank * share)..<((group.rank + 1) * share)
        shard = StateShard(config: config, batch: run.batch, streams: streams)

        let degradedForm = run.task == .lm ? nil : prepared.degradedForm
        training = WindowSource(layout: try StreamLayout(ids: prepared.training, batchSize: run.batch, steps: run.seq,
                                                         role: "training"),
                                degradedForm: degradedForm)
        validationCharacters = prepared.validation.count
        guard prepared.validation.count > 0 else {
            throw DataError.emptyValidation(characters: corpus.training.count, fraction: run.validationFraction)
        }
        let validation = WindowSource(layout: try StreamLayout(ids: prepared.validation, batchSize: run.batch,
                                                               steps: run.seq, role: "validation"),
                                      degradedForm: degradedForm)

        switch options.budget {
        case .steps(let n): totalSteps = n
        case .epochs(let n): totalSteps = n * training.windowsPerEpoch
        case .seconds: totalSteps = nil
        }
        schedule = LearningRateSchedule(options, totalSteps: totalSteps)
        patience = options.patience ?? (budgetChoice != nil ? TrainingDefaults.budgetPatience : .validations(0))
        learningRate = options.learningRate ?? TrainingDefaults.learningRate

        let split = ThreadSplit(streams: share, threads: threads)
        setBLASThreadCount(split.blasThreads)
        model = CharRNNModel(config: config, seed: run.seed)
        adam = Adam(parameterCount: model.parameterCount, settings: Adam.Settings(weightDecay: options.weightDecay))
        replicas = StreamReplicas(model: model, streams: streams, totalStreams: run.batch, steps: run.seq,
                                  replicaCount: split.replicaCount)
        replicas.dropoutSeed = run.seed ^ 0xD1B5_4A32_D192_ED03
        replicas.lockedDropout = options.lockedDropout ?? false
        if let p = options.weightDropout, p > 0 {
            replicas.recurrentDropConnect = WeightDropout(model: model, target: .recurrentWeights, probability: p)
        }
        if let p = options.embeddingDropout, p > 0 {
            replicas.embeddingDropout = WeightDropout(model: model, target: .embeddingRows, probability: p)
        }
        validator = Validator(source: validation, model: model, vocabulary: vocabulary, streams: streams,
                              totalStreams: run.batch, group: group, parts: split.replicaCount)
        let parameters = UnsafeBufferPointer(model.parameters)
        average = options.averageDecay.flatMap { $0 > 0 ? WeightAverage(decay: $0, parameters: parameters) : nil }
        if let resumed { restore(from: resumed.checkpoint) }
    }

    /// Trains until the budget is spent, a signal arrives or the loss diverges.
    public func run(report: (TrainingEvent) -> Void) throws -> TrainingSummary {
        try prepareOutputFolder()
        let recorder = RunRecorder(folder: options.outputFolder, title: plotTitle, isLeader: group.isLeader)
        var progress = ProgressTracker(startStep: step, charactersPerStep: configuration.batch * configuration.seq,
                                       totalSteps: totalSteps, timeBudget: options.budget.seconds)
        report(.began(plan))
        var lastSavedStep = step
        lastImprovement = (step, 0)

        while true {
            // Every rank reads the same clock: the budget and a time-following rate agree.
            let elapsed = options.budget.seconds != nil ? group.max(progress.elapsed) : progress.elapsed
            if progress.budgetSpent(step: step, elapsed: elapsed) { break }
            let window = step % training.windowsPerEpoch
            // Epoch start, and every window of a bidirectional model (it sees its own future only).
            if window == 0 || config.bidirectional { replicas.resetState() }
            for r in replicas.networks.indices { training.fill(window: window, into: replicas.networks[r]) }
            replicas.dropoutCounter = UInt64(step)
            let rate = schedule.rate(base: learningRate, step: step + 1, windowsPerEpoch: training.windowsPerEpoch,
                                     elapsed: elapsed)

            // forward/backward on every replica → mean over ranks → clip → Adam
            let (loss, norm) = trainOnWindow(replicas, adam: adam, clip: options.clip, learningRate: rate, group: group)
            try stopIfDiverged(loss: loss, gradientNorm: norm)
            average?.update(from: UnsafeBufferPointer(model.parameters))
            step += 1
            progress.record(loss: loss, gradientNorm: norm, learningRate: rate)

            let validated = validates(step) ? try validateAndKeepBest(report: report) : nil
            if step % options.logEvery == 0 || validated != nil {
                recorder.append(progress.metricsRow(step: step, epoch: epoch, validationLoss: validated))
            }
            if options.sampleEvery > 0, step % options.sampleEvery == 0 { writeSample(report: report) }
            report(.step(progress.stepReport(step: step, epoch: epoch, lastValidationLoss: lastValidationLoss)))
            if options.saveEvery > 0, step % options.saveEvery == 0 {
                try save(to: latestPath, report: report)
                lastSavedStep = step
            }
            let signal = Int32(group.max(Double(Interruption.pendingSignal)))
            if signal != 0 {
                if lastSavedStep != step { try save(to: latestPath, report: report) }
                throw TrainingError.interrupted(signal: signal, savedTo: latestPath)
            }
            if validated != nil {
                // Every rank reads the same clock, so that all stop at the same step.
                let now = options.budget.seconds != nil ? group.max(progress.elapsed) : progress.elapsed
                if validationsWithoutImprovement == 0 { lastImprovement = (step, now) }
                if let reason = patienceRanOut(step: step, elapsed: now) {
                    report(.stoppedEarly(step: step, reason: reason))
                    break
                }
            }
        }

        // A run ends validated and saved.
        let elapsed = progress.elapsed
        if step > progress.startStep, !validates(step) {
            let loss = try validateAndKeepBest(report: report)
            recorder.append(progress.metricsRow(step: step, epoch: epoch, validationLoss: loss, elapsed: elapsed))
        }
        recorder.writePlot()
        guard group.agree(weightChecksum) else { throw TrainingError.ranksDisagree(ranks: group.size) }
        if lastSavedStep != step || !FileManager.default.fileExists(atPath: latestPath) {
            try save(to: latestPath, report: report)
        }
        let summary = TrainingSummary(
            steps: step, bestValidationLoss: bestValidationLoss, lastValidationLoss: lastValidationLoss,
            elapsed: elapsed, charsPerSecond: progress.charactersPerSecond(step: step, elapsed: elapsed),
            latestPath: latestPath, bestPath: FileManager.default.fileExists(atPath: bestPath) ? bestPath : nil,
            metricsPath: recorder.metricsPath, plotPath: recorder.plotPath, history: recorder.rows,
            weightChecksum: weightChecksum)
        report(.finished(summary))
        return summary
    }

    /// Mean cross-entropy (nats per character) over the validation part (see `Validator`).
    public func validate() -> Double { validator.run().loss }

    private var epoch: Double { Double(step) / Double(training.windowsPerEpoch) }

    /// How long validation has gone without a new best, once that exhausts `patience` (a share of the
    /// budget also needs two validations in a row without one).
    private func patienceRanOut(step: Int, elapsed: Double) -> String? {
        switch patience {
        case .validations(let count):
            guard count > 0, validationsWithoutImprovement >= count else { return nil }
            return "\(validationsWithoutImprovement) validations without a new best"
        case .shareOfBudget(let share):
            // Two validations at least, so that one noisy validation of a short budget does not end it.
            guard validationsWithoutImprovement >= 2 else { return nil }
            if let seconds = options.budget.seconds {
                let waited = elapsed - lastImprovement.elapsed
                guard waited >= share * seconds else { return nil }
                return "\(ProgressPrinter.duration(waited)) without a new best, \(patience.argument) of --time"
            }
            guard let totalSteps else { return nil }
            let waited = step - lastImprovement.step
            guard Double(waited) >= share * Double(totalSteps) else { return nil }
            return "\(waited) steps without a new best, \(patience.argument) of the \(totalSteps)"
        }
    }

    /// The plan line's words for `patience`: nil when the run never stops early.
    private var patienceNote: String? {
        switch patience {
        case .validations(let count):
            return count > 0 ? "after \(count) validations without a new best (--patience \(count))" : nil
        case .shareOfBudget(let share):
            let span = options.budget.seconds.map { ProgressPrinter.duration(share * $0) }
                ?? totalSteps.map { "\(Int((share * Double($0)).rounded(.up))) steps" }
            return span.map { "after \($0) without a new best (--patience \(patience.argument))" }
        }
    }

    private func validates(_ step: Int) -> Bool {
        options.validationEvery > 0 && step % options.validationEvery == 0
    }

    private var plan: TrainingPlan {
        TrainingPlan(config: config, parameterCount: model.parameterCount,
                     trainingCharacters: training.layout.streamLength * configuration.batch + 1,
                     validationCharacters: validationCharacters,
                     windowsPerEpoch: training.windowsPerEpoch, batch: configuration.batch, seq: configuration.seq,
                     startStep: step, totalSteps: totalSteps, timeBudget: options.budget.seconds,
                     resumedFrom: resumedFrom, budgetChoice: budgetChoice?.summary, regularisers: regularisers,
                     patience: patienceNote)
    }

    /// The plan line's note of each regulariser in force (and of the weight average).
    private var regularisers: [String] {
        var notes: [String] = []
        if config.dropout > 0 {
            notes.append("dropout \(BudgetChoice.decimal(config.dropout))" + (replicas.lockedDropout ? " (locked masks)" : ""))
        }
        if let p = replicas.recurrentDropConnect?.probability { notes.append("DropConnect \(BudgetChoice.decimal(p)) on weight_hh") }
        if let p = replicas.embeddingDropout?.probability { notes.append("embedding dropout \(BudgetChoice.decimal(p))") }
        if options.weightDecay > 0 { notes.append("weight decay \(BudgetChoice.decimal(options.weightDecay))") }
        if let average { notes.append("validating a weight average (--ema \(BudgetChoice.decimal(average.decay)))") }
        return notes
    }

    private var plotTitle: String {
        "\(config.cell.rawValue.uppercased()) \(config.layerCount)×\(config.hiddenSize) on "
            + (corpus.sources.count == 1 ? (corpus.sources[0].file.name as NSString).lastPathComponent
                                         : "\(corpus.sources.count) files")
    }

    /// char-rnn's rule: a loss above three times the run's first one has exploded.
    private func stopIfDiverged(loss: Double, gradientNorm: Double) throws {
        let first = firstLoss ?? loss
        firstLoss = first
        guard loss.isFinite, gradientNorm.isFinite, loss <= 3 * first else {
            let last = FileManager.default.fileExists(atPath: latestPath) ? latestPath : nil
            throw TrainingError.diverged(step: step + 1, loss: loss, lastCheckpoint: last)
        }
    }

    /// Scores the model (with `--ema`, both its weight average and the weights as trained, keeping the
    /// lower) and saves it as `best` when it improves on the best so far.
    private func validateAndKeepBest(report: (TrainingEvent) -> Void) throws -> Double {
        var (loss, accuracy) = validator.run()
        var averaging: AveragedValidation?
        var keptWeights: [Float]?
        if let average {
            average.exchange(with: model.parameters)
            let averaged = validator.run()
            average.exchange(with: model.parameters)
            let scores = AveragedValidation(averaged: averaged.loss, asTrained: loss)
            if scores.keepsAverage { ((loss, accuracy), keptWeights) = (averaged, average.snapshot) }
            averaging = scores
        }
        lastValidationLoss = loss
        let improved = loss.isFinite && loss < (bestValidationLoss ?? .infinity)
        report(.validated(step: step, loss: loss, improved: improved, accuracy: accuracy, averaging: averaging))
        validationsWithoutImprovement = improved ? 0 : validationsWithoutImprovement + 1
        if improved {
            bestValidationLoss = loss
            try save(to: bestPath, weights: keptWeights, report: report)
        }
        return loss
    }

    private func prepareOutputFolder() throws {
        guard group.isLeader else { return }
        do { try Folder.create(options.outputFolder) } catch {
            throw TrainingError.cannotCreateFolder(path: options.outputFolder, reason: error.description)
        }
        AtomicFile.removeStaleTemporaries(in: options.outputFolder, for: "latest.safetensors.zst")
        AtomicFile.removeStaleTemporaries(in: options.outputFolder, for: "best.safetensors.zst")
        // This run's best supersedes an ensemble trained into the folder before.
        try? FileManager.default.removeItem(atPath: (options.outputFolder as NSString)
            .appendingPathComponent(EnsembleManifest.fileName))
    }

    /// Collective: every rank calls it; the leader writes. `weights`: saved as the model's in place of
    /// its own (the weight average, for `best`).
    private func save(to path: String, weights: [Float]? = nil, report: (TrainingEvent) -> Void) throws {
        let snapshot = checkpoint(weights: weights)
        guard group.isLeader else { return }
        try snapshot.write(to: path)
        report(.saved(path: path))
    }

    /// FNV-1a over the weights' bits: equal on every rank when their weights are identical.
    var weightChecksum: UInt64 { FNV1a.hash(UnsafeBufferPointer(model.parameters)) }

    /// The budget rule's choice for a fresh language model whose budget is time or steps and whose
    /// model flags are not all given; nil otherwise. Each candidate's speed is timed here: the median
    /// step of those timed over `BudgetRule.timingSpan` after one warm-up, the slowest rank's when
    /// several train together. (Before 2026-12-07 the faster of two steps: on a shared machine
    /// that read 2×256 at 30.6k chars/s where the run then trained at 21k.)
    static func chooseModel(options: TrainingOptions, run: RunConfiguration, resumed: Bool, trainingCharacters: Int,
                            validationCharacters: Int, vocabularySize: Int, threads: Int,
                            group: ProcessGroup) -> BudgetChoice? {
        guard options.budgetChoosesModel, !resumed, run.task == .lm, !run.bidirectional,
              !options.givenModelFlags.leavesNothing else { return nil }
        if case .epochs = options.budget { return nil }
        let clock = ContinuousClock(), start = clock.now
        var choice = BudgetRule.choose(trainingCharacters: trainingCharacters,
                                       validationCharacters: validationCharacters, vocabularySize: vocabularySize,
                                       budget: options.budget, given: options.givenModelFlags,
                                       ensembles: group.size == 1) { recipe in
            let times = timeTrainingSteps(config: recipe.config(vocabularySize: vocabularySize), batch: recipe.batch,
                                          seq: recipe.seq, steps: 3, warmup: 1, threads: threads, seed: run.seed,
                                          group: group, span: BudgetRule.timingSpan(budget: options.budget))
            let seconds = group.max(times.wall.median)
            return Double(recipe.batch * recipe.seq) / seconds
        }
        choice.measuringSeconds = (clock.now - start).inSeconds
        return choice
    }
}
