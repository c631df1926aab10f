import Foundation

/// What a run is about to do, reported once before the first step.
public struct TrainingPlan: Sendable {
    public var config: ModelConfig
    public var parameterCount: Int
    public var trainingCharacters: Int
    public var validationCharacters: Int
    public var windowsPerEpoch: Int
    public var batch: Int
    public var seq: Int
    public var startStep: Int
    /// Steps to run in total (including those before a resume), when the budget fixes it.
    public var totalSteps: Int?
    public var timeBudget: Double?
    public var resumedFrom: String?
}

/// A report after each step.
public struct StepProgress: Sendable {
    public var step: Int
    public var totalSteps: Int?
    public var epoch: Double
    public var smoothedLoss: Double
    public var lastValidationLoss: Double?
    public var gradientNorm: Double
    public var learningRate: Double
    public var charsPerSecond: Double
    public var elapsed: Double
    /// Seconds to go, when the budget is known.
    public var remaining: Double?
}

public struct TrainingSummary: Sendable {
    public var steps: Int
    public var bestValidationLoss: Double?
    public var lastValidationLoss: Double?
    public var elapsed: Double
    public var charsPerSecond: Double
    public var latestPath: String
    public var bestPath: String?
    public var metricsPath: String
    public var plotPath: String
    /// This run's metrics rows (validation rows carry `validationLoss`).
    public var history: [MetricsRow]
    /// FNV-1a of the final weights' bits (the same on every rank).
    public var weightChecksum: UInt64
}

public enum TrainingEvent: Sendable {
    case began(TrainingPlan)
    case step(StepProgress)
    /// `accuracy` for restoration tasks.
    case validated(step: Int, loss: Double, improved: Bool, accuracy: RestorationAccuracy?)
    case saved(path: String)
    case finished(TrainingSummary)
}

/// Trains a char-RNN on a corpus: stream-major truncated-BPTT windows, Adam, global-norm clipping,
/// periodic validation, atomic checkpoints and exact resume.
public final class Trainer {
    /// Validation reads at most this many windows (from the start of the validation part), which
    /// bounds its cost on very large corpora; tinyshakespeare's whole validation part is 22 windows.
    public static let maximumValidationWindows = 400

    public let options: TrainingOptions
    public let corpus: Corpus
    public let task: TrainingTask
    /// The model's vocabulary: the corpus's, plus degraded forms for a restoration task.
    public let vocabulary: Vocabulary
    /// For restoration: the id of each id's degraded form (the model's input).
    let inputOf: [Int32]
    public let config: ModelConfig
    public let model: CharRNNModel<Float>
    let adam: Adam
    let trainingLayout: StreamLayout
    let validationLayout: StreamLayout
    let workers: StreamWorkers
    let validationWorkspace: Workspace<Float>
    let batch: Int, seq: Int, validationFraction: Double
    let normalization: Normalization
    let validationCount: Int
    let schedule: LearningRateSchedule
    let totalSteps: Int?
    let latestPath: String, bestPath: String
    let resumedFrom: String?
    /// The processes training this model together; this one takes `streams` of the batch.
    let group: ProcessGroup
    let streams: Range<Int>
    public var streamsPerRank: Int { streams.count }

    var step = 0
    var bestValidationLoss: Double?
    var lastValidationLoss: Double?
    var lastAccuracy: RestorationAccuracy?
    /// The loss of this run's first step: divergence is judged against it.
    var firstLoss: Double?

    /// With a `group` of N ranks, rank r trains on streams r·B/N ..< (r+1)·B/N of every window.
    public init(options: TrainingOptions, group: ProcessGroup = .single) throws {
        self.options = options
        self.group = group
        let folder = options.outputFolder
        latestPath = (folder as NSString).appendingPathComponent("latest.safetensors.zst")
        bestPath = (folder as NSString).appendingPathComponent("best.safetensors.zst")

        var resumed: Checkpoint?
        if let resume = options.resume {
            let path = resume.isEmpty ? latestPath : resume
            guard FileManager.default.fileExists(atPath: path) else { throw TrainingError.noCheckpointToResume(path: path) }
            resumed = try Checkpoint.read(from: path)
            resumedFrom = path
        } else {
            resumedFrom = nil
        }
        let defaults = TrainingOptions.defaultConfig
        let record = resumed?.training
        let tokenization = options.tokenization ?? resumed?.vocabulary.tokenization ?? .scalars
        normalization = options.normalization ?? resumed?.normalization ?? Normalization.none
        corpus = try Corpus.load(path: options.corpusPath, tokenization: tokenization, normalization: normalization)
        batch = options.batch ?? record?.batch ?? defaults.batch
        seq = options.seq ?? record?.seq ?? defaults.seq
        validationFraction = options.validationFraction ?? record?.validationFraction ?? defaults.validationFraction
        task = options.task ?? resumed?.task ?? .lm
        let prepared = task.prepare(corpus)
        vocabulary = prepared.vocabulary
        inputOf = prepared.inputOf

        let base = resumed?.config
        config = ModelConfig(
            cell: options.cell ?? base?.cell ?? defaults.cell,
            gruVariant: options.gruVariant ?? base?.gruVariant ?? defaults.gruVariant,
            layerCount: options.layers ?? base?.layerCount ?? defaults.layers,
            hiddenSize: options.hidden ?? base?.hiddenSize ?? defaults.hidden,
            embeddingSize: options.embed ?? base?.embeddingSize ?? defaults.embed,
            vocabularySize: vocabulary.count,
            dropout: options.dropout ?? base?.dropout ?? defaults.dropout,
            bidirectional: options.bidirectional ?? base?.bidirectional ?? false)
        if config.bidirectional, task == .lm { throw TrainingError.bidirectionalLanguageModel }

        if let resumed, let resumedFrom {
            try Trainer.checkCompatible(resumed, path: resumedFrom, config: config, task: task, corpus: corpus,
                                        vocabulary: vocabulary, batch: batch,
                                        seq: seq, validationFraction: validationFraction,
                                        tokenization: tokenization, normalization: normalization, force: options.force)
        }

        guard batch % group.size == 0 else { throw TrainingError.batchNotDivisible(batch: batch, ranks: group.size) }
        let share = batch / group.size
        streams = (group.rank * share)..<((group.rank + 1) * share)

        let (trainingIDs, validationIDs) = StreamLayout.split(prepared.ids, validationFraction: validationFraction)
        trainingLayout = try StreamLayout(ids: trainingIDs, batchSize: batch, steps: seq, role: "training")
        validationCount = validationIDs.count
        guard validationIDs.count > 0 else {
            throw DataError.emptyValidation(characters: corpus.ids.count, fraction: validationFraction)
        }
        validationLayout = try StreamLayout(ids: validationIDs, batchSize: batch, steps: seq, role: "validation")

        switch options.budget {
        case .steps(let n): totalSteps = n
        case .epochs(let n): totalSteps = n * trainingLayout.windowsPerEpoch
        case .seconds: totalSteps = nil
        }
        switch options.schedule {
        case .constant: schedule = .constant
        case .step: schedule = .stepDecay(factor: options.lrDecay, after: options.lrDecayAfter)
        case .cosine:
            guard let totalSteps else { throw TrainingError.unboundedCosine }
            schedule = .cosine(warmupSteps: options.warmupSteps, totalSteps: totalSteps)
        }

        // Threads go to replicas splitting the streams when they divide evenly, else into OpenBLAS.
        let threads = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let replicaCount = share % threads == 0 ? threads : 1
        setBLASThreadCount(replicaCount > 1 ? 1 : threads)
        model = CharRNNModel(config: config, seed: options.seed)
        adam = Adam(parameterCount: model.parameterCount,
                    settings: Adam.Settings(weightDecay: options.weightDecay))
        workers = StreamWorkers(model: model, streams: streams, totalStreams: batch, steps: seq,
                                replicaCount: replicaCount)
        validationWorkspace = Workspace(model: model, batchSize: share, steps: seq, forTraining: false)
        (validationWorkspace.streamOffset, validationWorkspace.totalStreams) = (streams.lowerBound, batch)
        workers.dropoutSeed = options.seed ^ 0xD1B5_4A32_D192_ED03

        if let resumed {
            _ = model.parameters.update(fromContentsOf: resumed.parameters)
            if let m = resumed.adamM, let v = resumed.adamV {
                _ = adam.m.update(fromContentsOf: m)
                _ = adam.v.update(fromContentsOf: v)
            }
            if let h = resumed.stateH { workers.importState(takeShare(of: h), cell: false) }
            if let c = resumed.stateC { workers.importState(takeShare(of: c), cell: true) }
            if let record {
                step = record.step
                adam.stepCount = record.step
                workers.dropoutSeed = record.dropoutSeed
                bestValidationLoss = record.bestValidationLoss
            }
        }
    }

    private static func checkCompatible(
        _ checkpoint: Checkpoint, path: String, config: ModelConfig, task: TrainingTask, corpus: Corpus,
        vocabulary: Vocabulary, batch: Int, seq: Int,
        validationFraction: Double, tokenization: Tokenization, normalization: Normalization, force: Bool
    ) throws {
        var differences: [String] = []
        func compare<T: Equatable>(_ name: String, _ saved: T, _ asked: T) {
            if saved != asked { differences.append("--\(name) \(asked) differs from the checkpoint's \(saved)") }
        }
        let saved = checkpoint.config
        compare("cell", saved.cell.rawValue, config.cell.rawValue)
        if config.cell == .gru { compare("gru-variant", saved.gruVariant.rawValue, config.gruVariant.rawValue) }
        compare("layers", saved.layerCount, config.layerCount)
        compare("hidden", saved.hiddenSize, config.hiddenSize)
        compare("embed", saved.embeddingSize, config.embeddingSize)
        compare("dropout", saved.dropout, config.dropout)
        compare("bidirectional", saved.bidirectional, config.bidirectional)
        compare("task", checkpoint.task.rawValue, task.rawValue)
        compare("bytes", checkpoint.vocabulary.tokenization == .bytes, tokenization == .bytes)
        compare("normalize", checkpoint.normalization.rawValue, normalization.rawValue)
        if let record = checkpoint.training {
            compare("batch", record.batch, batch)
            compare("seq", record.seq, seq)
            compare("val-frac", record.validationFraction, validationFraction)
        }
        guard differences.isEmpty else { throw TrainingError.architectureMismatch(checkpoint: path, differences: differences) }
        if let record = checkpoint.training, record.corpus != corpus.fingerprint, !force {
            throw TrainingError.corpusMismatch(checkpoint: path, expected: record.corpus, found: corpus.fingerprint)
        }
        guard checkpoint.vocabulary == vocabulary else {
            throw TrainingError.vocabularyMismatch(checkpoint: path)
        }
    }

    /// Trains until the budget is spent, a signal arrives or the loss diverges.
    public func run(report: (TrainingEvent) -> Void) throws -> TrainingSummary {
        try createOutputFolder()
        let K = trainingLayout.windowsPerEpoch
        let startStep = step
        let charsPerStep = Double(batch * seq)
        let metrics = MetricsLog(folder: options.outputFolder)
        let timeBudget: Double? = { if case .seconds(let s) = options.budget { return s } else { return nil } }()
        report(.began(TrainingPlan(
            config: config, parameterCount: model.parameterCount,
            trainingCharacters: trainingLayout.streamLength * batch + 1,
            validationCharacters: validationCount,
            windowsPerEpoch: K, batch: batch, seq: seq, startStep: startStep, totalSteps: totalSteps,
            timeBudget: timeBudget, resumedFrom: resumedFrom)))

        if totalSteps == 0 {
            try save(to: latestPath, report: report)
            return finish(startStep: startStep, elapsed: 0, metrics: metrics, report: report)
        }

        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            let d = clock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var smoothed: Double?
        var lastGradientNorm = 0.0, lastRate = options.learningRate
        var lastSavedStep = step

        while true {
            if let totalSteps, step >= totalSteps { break }
            // Stop decisions are collective: every rank stops after the same step.
            if let timeBudget, group.max(elapsed() >= timeBudget ? 1 : 0) > 0 { break }

            let window = step % K
            // A bidirectional window sees its own future only: no state crosses windows.
            if window == 0 || config.bidirectional { workers.resetState() }
            for replica in workers.replicas { fill(trainingLayout, window: window, replica) }
            lastRate = schedule.rate(base: options.learningRate, step: step + 1, windowsPerEpoch: K)
            workers.dropoutCounter = UInt64(step)
            let (loss, norm) = trainOnWindow(workers, adam: adam, clip: options.clip, learningRate: lastRate,
                                             group: group)
            // char-rnn's rule: a loss above three times the first one has exploded.
            let firstLoss = firstLoss ?? loss
            self.firstLoss = firstLoss
            guard loss.isFinite, norm.isFinite, loss <= 3 * firstLoss else {
                let last = FileManager.default.fileExists(atPath: latestPath) ? latestPath : nil
                throw TrainingError.diverged(step: step + 1, loss: loss, lastCheckpoint: last)
            }
            lastGradientNorm = norm
            step += 1
            smoothed = smoothed.map { 0.98 * $0 + 0.02 * loss } ?? loss

            let now = elapsed()
            let speed = Double(step - startStep) * charsPerStep / max(now, 1e-9)
            let remaining: Double? = {
                if let totalSteps { return Double(totalSteps - step) * now / Double(step - startStep) }
                if let timeBudget { return max(0, timeBudget - now) }
                return nil
            }()
            var validated: Double?
            if options.validationEvery > 0, step % options.validationEvery == 0 {
                validated = try validateAndKeepBest(report: report)
            }
            if group.isLeader, step % options.logEvery == 0 || validated != nil {
                metrics.append(MetricsRow(step: step, epoch: Double(step) / Double(K), learningRate: lastRate,
                                          trainingLoss: smoothed ?? loss, validationLoss: validated,
                                          gradientNorm: lastGradientNorm, charsPerSecond: speed, elapsed: now))
                if validated != nil { writePlot(metrics) }
            }
            report(.step(StepProgress(step: step, totalSteps: totalSteps, epoch: Double(step) / Double(K),
                                      smoothedLoss: smoothed ?? loss, lastValidationLoss: lastValidationLoss,
                                      gradientNorm: lastGradientNorm, learningRate: lastRate, charsPerSecond: speed,
                                      elapsed: now, remaining: remaining)))
            if options.saveEvery > 0, step % options.saveEvery == 0 {
                try save(to: latestPath, report: report)
                lastSavedStep = step
            }
            let signal = Int32(group.max(Double(Interruption.pendingSignal)))
            if signal != 0 {
                if lastSavedStep != step { try save(to: latestPath, report: report) }
                throw TrainingError.interrupted(signal: signal, savedTo: latestPath)
            }
        }

        let total = elapsed()
        if step > startStep, options.validationEvery == 0 || step % options.validationEvery != 0 {
            let loss = try validateAndKeepBest(report: report)
            if group.isLeader { metrics.append(MetricsRow(step: step, epoch: Double(step) / Double(K), learningRate: lastRate,
                                      trainingLoss: smoothed ?? .nan, validationLoss: loss,
                                      gradientNorm: lastGradientNorm,
                                      charsPerSecond: Double(step - startStep) * charsPerStep / max(total, 1e-9),
                                      elapsed: total)) }
        }
        writePlot(metrics)
        guard group.agree(Trainer.checksum(model.parameters)) else { throw TrainingError.ranksDisagree(ranks: group.size) }
        if lastSavedStep != step || !FileManager.default.fileExists(atPath: latestPath) {
            try save(to: latestPath, report: report)
        }
        return finish(startStep: startStep, elapsed: total, metrics: metrics, report: report)
    }

    private func finish(startStep: Int, elapsed: Double, metrics: MetricsLog,
                        report: (TrainingEvent) -> Void) -> TrainingSummary {
        let summary = TrainingSummary(
            steps: step, bestValidationLoss: bestValidationLoss, lastValidationLoss: lastValidationLoss,
            elapsed: elapsed, charsPerSecond: Double((step - startStep) * batch * seq) / max(elapsed, 1e-9),
            latestPath: latestPath,
            bestPath: FileManager.default.fileExists(atPath: bestPath) ? bestPath : nil,
            metricsPath: metrics.path, plotPath: plotPath, history: metrics.rows,
            weightChecksum: Trainer.checksum(model.parameters))
        report(.finished(summary))
        return summary
    }

    /// Mean cross-entropy (nats per character) over the validation part, state carried from a zero
    /// start, at most `maximumValidationWindows` windows.
    public func validate() -> Double {
        let windows = min(validationLayout.windowsPerEpoch, Trainer.maximumValidationWindows)
        let w = validationWorkspace
        w.resetState()
        var total = 0.0
        var tally = task == .lm ? nil : RestorationTally(vocabulary: vocabulary, streams: streams.count)
        let decoder = RestorationDecoder(inputOf: inputOf)
        let V = config.vocabularySize
        for k in 0..<windows {
            if config.bidirectional { w.resetState() }
            fill(validationLayout, window: k, w)
            total += w.forward(training: false)
            guard tally != nil else { continue }
            for b in 0..<streams.count {
                for t in 0..<seq {
                    let position = t * streams.count + b
                    let predicted = decoder.decode(input: w.inputs[position], scores: w.logits.baseAddress! + position * V)
                    tally!.add(stream: b, target: w.targets[position], input: w.inputs[position], predicted: predicted)
                }
            }
        }
        if group.size > 1, tally != nil { tally!.merge(over: group) }
        lastAccuracy = tally?.result()
        return group.sum(total) / Double(group.size) / Double(windows)
    }

    /// Window `k` of `layout` into the workspace: next-character pairs, or degraded/original pairs.
    /// The workspace's own streams (`streamOffset ..< streamOffset + batchSize`) are filled.
    private func fill(_ layout: StreamLayout, window k: Int, _ w: Workspace<Float>) {
        let own = w.streamOffset..<(w.streamOffset + w.batchSize)
        if task == .lm {
            layout.fill(window: k, streams: own, inputs: w.inputs.baseAddress!, targets: w.targets.baseAddress!)
        } else {
            inputOf.withUnsafeBufferPointer {
                layout.fillAligned(window: k, streams: own, inputOf: $0.baseAddress!,
                                   inputs: w.inputs.baseAddress!, targets: w.targets.baseAddress!)
            }
        }
    }

    private func validateAndKeepBest(report: (TrainingEvent) -> Void) throws -> Double {
        let loss = validate()
        lastValidationLoss = loss
        let improved = loss.isFinite && loss < (bestValidationLoss ?? .infinity)
        report(.validated(step: step, loss: loss, improved: improved, accuracy: lastAccuracy))
        if improved {
            bestValidationLoss = loss
            try save(to: bestPath, report: report)
        }
        return loss
    }

    var plotPath: String { (options.outputFolder as NSString).appendingPathComponent("loss.svg") }

    private func writePlot(_ metrics: MetricsLog) {
        guard group.isLeader, !metrics.rows.isEmpty else { return }
        let title = "\(config.cell.rawValue.uppercased()) \(config.layerCount)×\(config.hiddenSize) on "
            + (options.corpusPath as NSString).lastPathComponent
        let svg = CurvePlot.lossSVG(rows: metrics.rows, title: title)
        try? AtomicFile.write(Array(svg.utf8), to: plotPath)
    }

    private func createOutputFolder() throws {
        guard group.isLeader else { return }
        if let reason = Trainer.makeFolder(options.outputFolder) {
            throw TrainingError.cannotCreateFolder(path: options.outputFolder, reason: reason)
        }
        AtomicFile.removeStaleTemporaries(in: options.outputFolder, for: "latest.safetensors.zst")
        AtomicFile.removeStaleTemporaries(in: options.outputFolder, for: "best.safetensors.zst")
    }

    /// Creates `path` and its missing parents; returns why it cannot, in the system's words.
    static func makeFolder(_ path: String) -> String? {
        var current = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + component
            var status = stat()
            if stat(current, &status) == 0 {
                if status.st_mode & S_IFMT != S_IFDIR { return "\(current) is a file, not a folder" }
                continue
            }
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                return "cannot create \(current): \(String(cString: strerror(errno)))"
            }
        }
        return nil
    }

    /// The checkpoint of the current state: weights, Adam's moments, the carried state and the
    /// training record that `--resume` continues from.
    public func checkpoint() -> Checkpoint {
        let K = trainingLayout.windowsPerEpoch
        let record = TrainingRecord(
            step: step, epoch: step / K, window: step % K, windowsPerEpoch: K, batch: batch, seq: seq,
            validationFraction: validationFraction, seed: options.seed,
            dropoutSeed: workers.dropoutSeed, learningRate: options.learningRate,
            schedule: options.schedule.rawValue, lrDecay: options.lrDecay, lrDecayAfter: options.lrDecayAfter,
            warmupSteps: options.warmupSteps, totalSteps: totalSteps, clip: options.clip, adam: adam.settings,
            bestValidationLoss: bestValidationLoss, corpus: corpus.fingerprint)
        return Checkpoint(
            config: config, vocabulary: vocabulary, normalization: normalization, task: task,
            training: record, parameters: Array(model.parameters), adamM: Array(adam.m), adamV: Array(adam.v),
            stateH: gatherShares(workers.exportState(cell: false)),
            stateC: config.cell == .lstm ? gatherShares(workers.exportState(cell: true)) : nil)
    }

    /// Collective: every rank calls it; the leader writes.
    private func save(to path: String, report: (TrainingEvent) -> Void) throws {
        let snapshot = checkpoint()
        guard group.isLeader else { return }
        try snapshot.write(to: path)
        report(.saved(path: path))
    }

    /// This rank's streams of a carried state saved for all B streams, (L·directions, B, H).
    private func takeShare(of full: [Float]) -> [Float] {
        let H = config.hiddenSize, blocks = config.layerCount * config.directionCount
        guard full.count == blocks * batch * H else { return [] }
        var local = [Float](repeating: 0, count: blocks * streams.count * H)
        for block in 0..<blocks {
            for (row, b) in streams.enumerated() {
                for j in 0..<H { local[(block * streams.count + row) * H + j] = full[(block * batch + b) * H + j] }
            }
        }
        return local
    }

    /// The carried state of all B streams, assembled from every rank's share (collective).
    private func gatherShares(_ local: [Float]) -> [Float] {
        guard group.size > 1 else { return local }
        let H = config.hiddenSize, blocks = config.layerCount * config.directionCount
        var full = [Float](repeating: 0, count: blocks * batch * H)
        for block in 0..<blocks {
            for (row, b) in streams.enumerated() {
                for j in 0..<H { full[(block * batch + b) * H + j] = local[(block * streams.count + row) * H + j] }
            }
        }
        full.withUnsafeMutableBufferPointer { group.sum($0) }
        return full
    }

    /// FNV-1a over the parameters' bits: equal on every rank when their weights are identical.
    static func checksum(_ values: UnsafeMutableBufferPointer<Float>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in values {
            hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3
        }
        return hash
    }
}
