/// A trainer's state as a checkpoint, and back: weights, Adam's moments, the carried state of all
/// streams and the training record that `--resume` continues from.
extension Trainer {
    /// The checkpoint of the current state (collective: the carried state is gathered from every rank),
    /// with the weight average when the run keeps one; `weights` in place of the model's own (and
    /// then no average) when given.
    public func checkpoint(weights: [Float]? = nil) -> Checkpoint {
        let K = training.windowsPerEpoch
        let record = TrainingRecord(
            step: step, epoch: step / K, window: step % K, windowsPerEpoch: K, batch: configuration.batch,
            seq: configuration.seq, validationFraction: configuration.validationFraction,
            validationLimit: configuration.validationLimit, separator: configuration.separator, seed: configuration.seed,
            dropoutSeed: replicas.dropoutSeed, learningRate: options.learningRate ?? TrainingDefaults.learningRate,
            schedule: (options.schedule ?? .constant).rawValue, lrDecay: options.lrDecay, lrDecayAfter: options.lrDecayAfter,
            warmupSteps: options.warmupSteps ?? 0, totalSteps: totalSteps, clip: options.clip, adam: adam.settings,
            bestValidationLoss: bestValidationLoss, corpus: corpus.fingerprint, lockedDropout: replicas.lockedDropout,
            weightDropout: replicas.recurrentDropConnect?.probability ?? 0,
            embeddingDropout: replicas.embeddingDropout?.probability ?? 0, averageDecay: average?.decay)
        var checkpoint = Checkpoint(
            config: config, vocabulary: vocabulary, normalization: configuration.normalization,
            task: configuration.task, training: record, parameters: weights ?? Array(model.parameters),
            adamM: Array(adam.m), adamV: Array(adam.v),
            stateH: shard.gather(replicas.exportState(cell: false), over: group),
            stateC: config.cell.carriesCellState ? shard.gather(replicas.exportState(cell: true), over: group) : nil)
        if weights == nil { checkpoint.averaged = average?.snapshot }
        return checkpoint
    }

    /// Continues from `checkpoint`, which `RunConfiguration.checkCompatible` accepted.
    func restore(from checkpoint: Checkpoint) {
        _ = model.parameters.update(fromContentsOf: checkpoint.parameters)
        if let m = checkpoint.adamM, let v = checkpoint.adamV {
            _ = adam.m.update(fromContentsOf: m)
            _ = adam.v.update(fromContentsOf: v)
        }
        if let h = checkpoint.stateH { replicas.importState(shard.take(from: h), cell: false) }
        if let c = checkpoint.stateC { replicas.importState(shard.take(from: c), cell: true) }
        if let record = checkpoint.training {
            step = record.step
            adam.stepCount = record.step
            replicas.dropoutSeed = record.dropoutSeed
            bestValidationLoss = record.bestValidationLoss
            average?.updateCount = record.step
        }
        // A run that starts averaging on resume starts from the weights it resumes (past the mean's
        // steps already, so at the full decay).
        if let average { average.restore(checkpoint.averaged ?? Array(model.parameters)) }
    }
}
