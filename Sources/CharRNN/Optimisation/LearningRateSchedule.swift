import Foundation

/// How the learning rate moves over training. Steps count from 1.
public enum LearningRateSchedule: Equatable, Sendable {
    case constant
    /// char-rnn's: after each completed epoch e ≥ `after`, the rate is multiplied by `factor`.
    case stepDecay(factor: Double, after: Int)
    /// Linear warm-up from 0 over `warmupSteps`, then a half cosine down to 0 at the end of `length`.
    case cosine(warmupSteps: Int, length: Length)

    /// How far a cosine decays: to a last step, or to the end of a wall-clock budget (a `--time` run
    /// does not know its step count in advance, so its rate follows the clock).
    public enum Length: Equatable, Sendable {
        case steps(Int)
        case seconds(Double)
    }

    /// The rate for optimiser step `step` (1-based) when an epoch is `windowsPerEpoch` steps and
    /// `elapsed` seconds of a time budget have passed.
    ///
    /// Cosine, after warm-up: lr = base · ½ (1 + cos(π·p)), p the fraction of the length done
    /// ((step − warm-up) / (steps − warm-up), or elapsed / seconds), clamped to 1.
    public func rate(base: Double, step: Int, windowsPerEpoch: Int, elapsed: Double = 0) -> Double {
        switch self {
        case .constant:
            return base
        case .stepDecay(let factor, let after):
            let completedEpochs = (step - 1) / max(windowsPerEpoch, 1)
            let decays = max(0, completedEpochs - after + 1)
            return base * Foundation.pow(factor, Double(decays))
        case .cosine(let warmup, let length):
            if step <= warmup { return base * Double(step) / Double(max(warmup, 1)) }
            let progress: Double
            switch length {
            case .steps(let total): progress = Double(step - warmup) / Double(max(total - warmup, 1))
            case .seconds(let seconds): progress = elapsed / max(seconds, 1e-9)
            }
            return base * 0.5 * (1 + Foundation.cos(Double.pi * min(max(progress, 0), 1)))
        }
    }
}
