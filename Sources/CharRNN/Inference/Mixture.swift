import Foundation

/// An ensemble's prediction: the mean of its M members' probabilities,
///
///     p(x) = (1/M) Σₘ softmax(zₘ)(x),
///
/// kept as log-probabilities, which a temperature and the pickers read as they read one model's
/// logits (softmax(log p / τ) ∝ p^(1/τ)).
enum Mixture {
    /// −log p(target) from the members' −log pₘ(target) at one position, as
    /// ℓ = ℓ₀ − log((1/M) Σₘ exp(ℓ₀ − ℓₘ)) with ℓ₀ = minₘ ℓₘ, which cannot overflow.
    static func loss(_ memberLosses: some Collection<Double>) -> Double {
        guard let lowest = memberLosses.min() else { return .nan }
        var sum = 0.0
        for l in memberLosses { sum += Foundation.exp(lowest - l) }
        return lowest - Foundation.log(sum / Double(memberLosses.count))
    }

    /// Each position's mixture loss from every member's losses at the same positions.
    static func losses(_ members: [[Double]]) -> [Double] {
        guard let count = members.first?.count else { return [] }
        precondition(members.allSatisfy { $0.count == count }, "members scored different positions")
        var mixed = [Double](repeating: 0, count: count)
        var atPosition = [Double](repeating: 0, count: members.count)
        for i in 0..<count {
            for m in members.indices { atPosition[m] = members[m][i] }
            mixed[i] = loss(atPosition)
        }
        return mixed
    }

    /// log p(x) for every class x into `out`, from the logits of `count` members (`member(m)`);
    /// `normalisers` (at least `count` long) is scratch, so that a step allocates nothing.
    static func logProbabilities(count: Int, member: (Int) -> UnsafeBufferPointer<Float>,
                                 normalisers: UnsafeMutableBufferPointer<Double>,
                                 into out: UnsafeMutableBufferPointer<Float>) {
        // log Σ exp zₘ per member, from its largest logit.
        for m in 0..<count {
            let z = member(m)
            var largest = -Double.infinity
            for v in z { largest = max(largest, Double(v)) }
            var sum = 0.0
            for v in z { sum += Foundation.exp(Double(v) - largest) }
            normalisers[m] = largest + Foundation.log(sum)
        }
        let logCount = Foundation.log(Double(count))
        for x in out.indices {
            var sum = 0.0
            for m in 0..<count { sum += Foundation.exp(Double(member(m)[x]) - normalisers[m]) }
            out[x] = Float(Foundation.log(sum) - logCount)
        }
    }
}
