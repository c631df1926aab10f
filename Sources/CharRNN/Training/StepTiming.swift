import Foundation

/// Seconds per training step (forward, backward, clip, Adam) after `warmup` steps: wall-clock,
/// and this process's CPU time (all its threads). On a shared machine the CPU time per step moves
/// far less than the wall-clock when other processes take turns on the cores, so two builds can
/// be compared by it while the wall-clock is noise. With a `group` of N ranks each takes B/N
/// streams and the gradients are all-reduced, as in training.
///
/// `span`: past `steps`, more steps are timed until they take about this many seconds, at most
/// `stepLimit` in all; the slowest rank's first timed step says how many, so every rank runs as
/// many (each step is collective).
public func timeTrainingSteps(config: ModelConfig, batch: Int, seq: Int, steps: Int, warmup: Int, threads: Int,
                              seed: UInt64, group: ProcessGroup = .single, span: Double = 0,
                              stepLimit: Int = 25) -> (wall: [Double], cpu: [Double]) {
    let share = batch / group.size
    let split = ThreadSplit(streams: share, threads: threads)  // as the trainer chooses
    setBLASThreadCount(split.blasThreads)
    let model = CharRNNModel<Float>(config: config, seed: seed)
    let adam = Adam(parameterCount: model.parameterCount)
    let replicas = StreamReplicas(model: model, streams: (group.rank * share)..<((group.rank + 1) * share),
                                  totalStreams: batch, steps: seq, replicaCount: split.replicaCount)
    var generator = SplitMix64(seed: seed)
    let V = UInt64(config.vocabularySize)
    var times: [Double] = [], cpuTimes: [Double] = []
    times.reserveCapacity(max(steps, stepLimit))
    cpuTimes.reserveCapacity(max(steps, stepLimit))
    var total = warmup + steps
    var step = 0
    while step < total {
        for network in replicas.networks {
            for i in 0..<network.inputs.count {
                network.inputs[i] = Int32(generator.next() % V)
                network.targets[i] = Int32(generator.next() % V)
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
        trainOnWindow(replicas, adam: adam, clip: 5, learningRate: 2e-3, group: group)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        if step >= warmup {
            times.append(seconds)
            cpuTimes.append(processCPUSeconds() - cpuStart)
        }
        if step == warmup, span > 0 {
            let first = group.max(seconds)
            total = warmup + min(max(steps, stepLimit), max(steps, Int((span / max(first, 1e-9)).rounded(.up))))
        }
        step += 1
    }
    return (times, cpuTimes)
}

extension Array where Element == Double {
    /// The middle value, the mean of the two middle ones for an even count; NaN for none.
    public var median: Double {
        let sorted = self.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// CPU time this process has used, all threads.
func processCPUSeconds() -> Double {
var now = timespec()
clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}
