import Foundation

/// The model's own distribution over the next character, p = softmax(z) of the decoder's logits
/// (temperature 1), and its likeliest characters: what `--probs` and `charnn next` report,
/// whatever temperature or cut-off the sampling itself uses.
public struct CharacterDistribution: Sendable {
    /// p[id], summing to 1.
    public let probabilities: [Double]

    public init(logits: UnsafeBufferPointer<Float>) {
        var peak = -Double.infinity
        for z in logits { peak = max(peak, Double(z)) }
        var p = logits.map { Foundation.exp(Double($0) - peak) }
        let sum = p.reduce(0, +)
        for i in p.indices { p[i] /= sum }
        probabilities = p
    }

    /// The `k` likeliest ids with their probabilities, most likely first (ties: the lower id first).
    public func top(_ k: Int) -> [(id: Int32, probability: Double)] {
        let p = probabilities
        var best: [Int32] = []
        best.reserveCapacity(min(k, p.count) + 1)
        // An insertion into a short sorted list: O(V·k), with k small.
        for id in p.indices where best.count < k || p[id] > p[Int(best[best.count - 1])] {
            var slot = best.count
            while slot > 0, p[id] > p[Int(best[slot - 1])] { slot -= 1 }
            best.insert(Int32(id), at: slot)
            if best.count > k { best.removeLast() }
        }
        return best.map { ($0, p[Int($0)]) }
    }
}
