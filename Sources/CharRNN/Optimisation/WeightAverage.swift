/// An exponential moving average of the weights (Polyak averaging), updated after every optimiser step:
///
///     θ̄ ← θ̄ + (1 − d_t)·(θ − θ̄),    d_t = min(d, t / (t + 1))
///
/// where t counts the updates averaged so far: the plain mean of every update's weights until
/// t = d/(1 − d), then an exponential average spanning about 1/(1 − d) steps (the starting weights
/// get no share). It smooths the noise of the last updates out of the weights that validation
/// scores and `best.safetensors.zst` keeps.
public final class WeightAverage {
    public let decay: Double
    /// Updates averaged so far (t).
    public var updateCount = 0
    let values: UnsafeMutableBufferPointer<Float>

    /// Starts the average at `parameters`.
    public init(decay: Double, parameters: UnsafeBufferPointer<Float>) {
        precondition(decay > 0 && decay < 1, "weight average decay outside (0, 1)")
        self.decay = decay
        values = .allocate(capacity: parameters.count)
        _ = values.initialize(fromContentsOf: parameters)
    }

    deinit { values.deallocate() }

    /// The decay of update t + 1 (the mean's, then `decay`).
    var currentDecay: Double { min(decay, Double(updateCount) / Double(updateCount + 1)) }

    /// Moves the average toward `parameters` by one update.
    func update(from parameters: UnsafeBufferPointer<Float>) {
        precondition(parameters.count == values.count, "weight average: \(parameters.count) parameters, \(values.count) averaged")
        let share = Float(1 - currentDecay)
        updateCount += 1
        let (average, theta) = (values.baseAddress!, parameters.baseAddress!)
        for i in 0..<values.count { average[i] += share * (theta[i] - average[i]) }
    }

    /// Exchanges the averaged weights with `parameters` (twice restores both), so that the model's own
    /// buffers can be scored or saved as the average.
    func exchange(with parameters: UnsafeMutableBufferPointer<Float>) {
        precondition(parameters.count == values.count, "weight average: \(parameters.count) parameters, \(values.count) averaged")
        let (average, theta) = (values.baseAddress!, parameters.baseAddress!)
        for i in 0..<values.count { swap(&average[i], &theta[i]) }
    }

    /// Replaces the average (a resumed run's).
    func restore(_ saved: [Float]) {
        precondition(saved.count == values.count, "weight average: \(saved.count) saved, \(values.count) averaged")
        _ = values.update(fromContentsOf: saved)
    }

    public var snapshot: [Float] { Array(values) }
}
