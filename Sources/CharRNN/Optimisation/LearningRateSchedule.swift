import Foundation

/// How the learning rate moves over training. Steps count from 1.
public enum LearningRateSchedule: Equatable, Sendable {
    case constant
    /// char-rnn's: after each completed epoch e ≥ `after`, the rate is multiplied by `factor`.
    case stepDecay(factor: Double, after: Int)
    /// Linear warm-up from 0 over `warmupSteps`, then a half cosine down to 0 at `totalSteps`.
    case cosine(warmupSteps: Int, totalSteps: Int)

    /// The rate for optimiser step `step` (1-based) when an epoch is `windowsPerEpoch` steps.
    public func rate(base: Double, step: Int, windowsPerEpoch: Int) -> Double {
        switch self {
        case .constant:
            return base
        case .stepDecay(let factor, let after):
            let completedEpochs = (step - 1) / max(windowsPerEpoch, 1)
            let decays = max(0, completedEpochs - after + 1)
            return base * Foundation.pow(factor, Double(decays))
        case .cosine(let warmup, let total):
            if step <= warmup { return base * Double(step) / Double(max(warmup, 1)) }
            let progress = Double(step - warmup) / Double(max(total - warmup, 1))
            return base * 0.5 * (1 + Foundation.cos(Double.pi * min(progress, 1)))
        }
    }
}
