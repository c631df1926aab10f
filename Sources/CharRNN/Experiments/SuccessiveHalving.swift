/// Successive halving (Jamieson and Talwalkar's rule, as Hyperband's inner loop uses it): every
/// trial trains for the first rung's budget; the best ⌈n/η⌉ of a rung go on to the next, where each
/// trains η× as long in total; rungs continue until one trial is left. A promoted trial continues
/// from where it stopped, so rung r adds b_r − b_{r−1} per trial:
///
///     n_r = ⌈n / ηʳ⌉                 trials in rung r, r = 0 … R−1, R = the first r with n_r = 1, plus 1
///     b_r = b_0 · ηʳ                 cumulative budget of a trial that reaches rung r
///     total = Σ_r n_r · (b_r − b_{r−1}),  b_{−1} = 0
///
/// A total budget (steps, or trial-seconds = wall seconds × parallel jobs) fixes b_0 = total / Σ_r n_r (ηʳ − ηʳ⁻¹).
public struct SuccessiveHalving: Equatable, Sendable {
    public let trialCount: Int
    public let eta: Int
    /// n_r for every rung.
    public let trialsPerRung: [Int]
    /// b_r for every rung, in the budget's unit (steps or seconds).
    public let cumulativeBudgets: [Double]

    /// - Parameter total: the whole sweep's budget, summed over trials.
    public init(trialCount n: Int, eta: Int, total: Double) {
        precondition(n >= 1 && eta >= 2 && total > 0, "successive halving needs trials, η ≥ 2 and a budget")
        trialCount = n
        self.eta = eta
        var counts = [n]
        while counts.last! > 1 { counts.append((counts.last! + eta - 1) / eta) }
        trialsPerRung = counts
        var weight = 0.0, scale = 1.0, previous = 0.0
        for count in counts {
            weight += Double(count) * (scale - previous)
            (previous, scale) = (scale, scale * Double(eta))
        }
        let first = total / weight
        cumulativeBudgets = counts.indices.map { first * Double(Self.power(eta, $0)) }
    }

    public var rungCount: Int { trialsPerRung.count }

    /// The budget rung `r` adds to each of its trials.
    public func increment(rung r: Int) -> Double {
        cumulativeBudgets[r] - (r > 0 ? cumulativeBudgets[r - 1] : 0)
    }

    /// The trials promoted from a rung: the `trialsPerRung[r + 1]` best by score (lower is better;
    /// ties and missing scores go by trial order, missing scores last).
    public func promoted(rung r: Int, scores: [(trial: Int, score: Double?)]) -> [Int] {
        guard r + 1 < rungCount else { return [] }
        let ranked = scores.sorted { a, b in
            switch (a.score, b.score) {
            case let (x?, y?) where x != y: return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.trial < b.trial
            }
        }
        return ranked.prefix(trialsPerRung[r + 1]).map(\.trial).sorted()
    }

    private static func power(_ base: Int, _ exponent: Int) -> Int {
        (0..<exponent).reduce(1) { product, _ in product * base }
    }
}
