import Foundation

/// Draws the next character from the decoder's logits z:
///
///     p_i ∝ exp(z_i / temperature)     (temperature 0: argmax)
///
/// then, optionally, keeps the `topK` most likely characters and/or the smallest set of most likely
/// characters whose mass reaches `topP` (nucleus sampling), renormalised. Its buffers are sized once.
public struct TokenPicker {
    public var temperature: Double
    public var topK: Int
    public var topP: Double
    private var probabilities: [Double]
    private var order: [Int32]

    public init(vocabularySize: Int, temperature: Double = 0.8, topK: Int = 0, topP: Double = 1) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        probabilities = [Double](repeating: 0, count: vocabularySize)
        order = (0..<Int32(vocabularySize)).map { $0 }
    }

    /// The probabilities the next pick draws from (after temperature, top-k and top-p).
    mutating func distribution(logits: UnsafeBufferPointer<Float>) -> [Double] {
        prepare(logits)
        return probabilities
    }

    mutating func pick(logits: UnsafeBufferPointer<Float>, using generator: inout SplitMix64) -> Int32 {
        if temperature == 0 { return Self.argmax(logits) }
        prepare(logits)
        var u = generator.nextUnit()
        var last: Int32 = 0
        for i in probabilities.indices where probabilities[i] > 0 {
            last = Int32(i)
            u -= probabilities[i]
            if u < 0 { return Int32(i) }
        }
        return last  // rounding left a sliver of mass: the last candidate takes it
    }

    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        return Int32(best)
    }

    private mutating func prepare(_ logits: UnsafeBufferPointer<Float>) {
        let V = logits.count
        if temperature == 0 {
            for i in 0..<V { probabilities[i] = 0 }
            probabilities[Int(Self.argmax(logits))] = 1
            return
        }
        var peak = -Double.infinity
        for z in logits { peak = max(peak, Double(z)) }
        var sum = 0.0
        for i in 0..<V {
            let e = Foundation.exp((Double(logits[i]) - peak) / temperature)
            probabilities[i] = e
            sum += e
        }
        for i in 0..<V { probabilities[i] /= sum }
        guard (topK > 0 && topK < V) || topP < 1 else { return }

        // Candidates by decreasing probability (ties by id, so the result is deterministic).
        let p = probabilities
        order.sort { p[Int($0)] != p[Int($1)] ? p[Int($0)] > p[Int($1)] : $0 < $1 }
        var keep = topK > 0 ? min(topK, V) : V
        if topP < 1 {
            var mass = 0.0, needed = 0
            for rank in 0..<keep {
                mass += p[Int(order[rank])]
                needed = rank + 1
                if mass >= topP { break }
            }
            keep = needed
        }
        var kept = 0.0
        for rank in 0..<keep { kept += p[Int(order[rank])] }
        for i in 0..<V { probabilities[i] = 0 }
        for rank in 0..<keep { probabilities[Int(order[rank])] = p[Int(order[rank])] / kept }
    }
}
