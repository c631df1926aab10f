/// The running figures of a training run: wall-clock time, the smoothed training loss (an
/// exponential moving average, 0.98·previous + 0.02·loss), throughput and the time to go.
struct ProgressTracker {
    let startStep: Int
    let charactersPerStep: Int
    let totalSteps: Int?
    let timeBudget: Double?
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private(set) var smoothedLoss: Double?
    private(set) var gradientNorm = 0.0
    private(set) var learningRate = 0.0

    init(startStep: Int, charactersPerStep: Int, totalSteps: Int?, timeBudget: Double?) {
        (self.startStep, self.charactersPerStep) = (startStep, charactersPerStep)
        (self.totalSteps, self.timeBudget) = (totalSteps, timeBudget)
        start = clock.now
    }

    /// Seconds since the run began.
    var elapsed: Double { (clock.now - start).inSeconds }

    /// Whether the step or time budget is spent, `elapsed` seconds in (the slowest rank's, so that
    /// every rank stops after the same step).
    func budgetSpent(step: Int, elapsed: Double) -> Bool {
        if let totalSteps, step >= totalSteps { return true }
        guard let timeBudget else { return false }
        return elapsed >= timeBudget
    }

    mutating func record(loss: Double, gradientNorm: Double, learningRate: Double) {
        smoothedLoss = smoothedLoss.map { 0.98 * $0 + 0.02 * loss } ?? loss
        self.gradientNorm = gradientNorm
        self.learningRate = learningRate
    }

    func charactersPerSecond(step: Int, elapsed: Double? = nil) -> Double {
        Double((step - startStep) * charactersPerStep) / max(elapsed ?? self.elapsed, 1e-9)
    }

    func stepReport(step: Int, epoch: Double, lastValidationLoss: Double?) -> StepProgress {
        let now = elapsed
        let remaining: Double? = {
            if let totalSteps { return Double(totalSteps - step) * now / Double(step - startStep) }
            if let timeBudget { return max(0, timeBudget - now) }
            return nil
        }()
        return StepProgress(step: step, totalSteps: totalSteps, epoch: epoch, smoothedLoss: smoothedLoss ?? .nan,
                            lastValidationLoss: lastValidationLoss, gradientNorm: gradientNorm,
                            learningRate: learningRate, charsPerSecond: charactersPerSecond(step: step, elapsed: now),
                            elapsed: now, remaining: remaining)
    }

    func metricsRow(step: Int, epoch: Double, validationLoss: Double?, elapsed: Double? = nil) -> MetricsRow {
        let now = elapsed ?? self.elapsed
        return MetricsRow(step: step, epoch: epoch, learningRate: learningRate, trainingLoss: smoothedLoss ?? .nan,
                          validationLoss: validationLoss, gradientNorm: gradientNorm,
                          charsPerSecond: charactersPerSecond(step: step, elapsed: now), elapsed: now)
    }
}
