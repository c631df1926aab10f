import CKernels
import Foundation

/// Adam with bias correction, exactly as PyTorch's `torch.optim.Adam` (and `AdamW` when
/// `weightDecay` > 0, decoupled as Loshchilov and Hutter propose):
///
///     t ← t + 1
///     θ ← θ − lr·λ·θ                                  (AdamW only)
///     m ← β1·m + (1−β1)·g          v ← β2·v + (1−β2)·g²
///     m̂ = m / (1−β1ᵗ)              v̂ = v / (1−β2ᵗ)
///     θ ← θ − lr · m̂ / (√v̂ + ε)
///
/// The moments use the model's flat parameter layout, so the update is one loop.
public final class Adam {
    public struct Settings: Equatable, Sendable, Codable {
        public var beta1 = 0.9
        public var beta2 = 0.999
        public var epsilon = 1e-8
        public var weightDecay = 0.0
        public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
        }
    }

    public let settings: Settings
    /// Updates applied so far (t).
    public var stepCount = 0
    let m: UnsafeMutableBufferPointer<Float>
    let v: UnsafeMutableBufferPointer<Float>

    public init(parameterCount: Int, settings: Settings = Settings()) {
        self.settings = settings
        m = .allocate(capacity: parameterCount)
        m.initialize(repeating: 0)
        v = .allocate(capacity: parameterCount)
        v.initialize(repeating: 0)
    }

    deinit {
        m.deallocate()
        v.deallocate()
    }

    /// One update of `parameters` from `gradients` at learning rate `learningRate`.
    func update(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                       learningRate: Double) {
        precondition(parameters.count == m.count && gradients.count == m.count,
                     "Adam: \(parameters.count) parameters, \(gradients.count) gradients, \(m.count) moments")
        stepCount += 1
        let t = Double(stepCount)
        let correction1 = 1 - Foundation.pow(settings.beta1, t)
        let correction2 = 1 - Foundation.pow(settings.beta2, t)
        // PyTorch's arrangement: step = lr / (1−β1ᵗ); denominator = √v / √(1−β2ᵗ) + ε.
        let stepSize = Float(learningRate / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        // 1−β taken in Double before rounding, as PyTorch passes it to its float kernels.
        let beta1 = Float(settings.beta1), beta2 = Float(settings.beta2), epsilon = Float(settings.epsilon)
        let oneMinusBeta1 = Float(1 - settings.beta1), oneMinusBeta2 = Float(1 - settings.beta2)
        let decay = Float(1 - learningRate * settings.weightDecay)
        let (theta, g, m, v) = (parameters.baseAddress!, gradients.baseAddress!, self.m.baseAddress!, self.v.baseAddress!)
        let applyDecay = settings.weightDecay != 0
        if let kernels = RecurrentKernels.kernels {  // a vector kernel path: its loop, the same equations
            var constants = ckernels_adam_constants(
                beta1: beta1, beta2: beta2, one_minus_beta1: oneMinusBeta1, one_minus_beta2: oneMinusBeta2,
                step_size: stepSize, root_correction2: rootCorrection2, epsilon: epsilon, decay: decay,
                apply_decay: applyDecay ? 1 : 0)
            kernels.pointee.adam_update(theta, g, m, v, Int64(parameters.count), &constants)
            return
        }
        for i in 0..<parameters.count {
            if applyDecay { theta[i] *= decay }
            let gi = g[i]
            m[i] = beta1 * m[i] + oneMinusBeta1 * gi
            v[i] = beta2 * v[i] + oneMinusBeta2 * gi * gi
            theta[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + epsilon)
        }
    }
}

