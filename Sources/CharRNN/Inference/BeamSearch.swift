import Foundation

/// Beam search for the likeliest continuations of a primed state:
///
///     logp(y₁ … yₙ) = Σₜ log p(yₜ | prime, y₁ … yₜ₋₁)        ranked by logp / nᵅ  (α = lengthPenalty)
///
/// The `width` best partial continuations (the beams) advance together as one batch of `width`
/// streams: one GEMM per layer and step for all of them. Each beam proposes its likeliest next
/// characters (`width` of them, twice as many when a stop string may finish some), the best
/// proposals by log-probability become the next beams, each taking its parent's recurrent state,
/// and a beam whose text ends with the stop string is finished and set aside. Width 1 is greedy
/// decoding. The buffers are sized once per search.
public final class BeamSearch {
    /// One continuation found.
    public struct Hypothesis: Sendable, Equatable {
        public let ids: [Int32]
        /// Σ log p, in nats.
        public let logProbability: Double
        /// logProbability / ids.countᵅ: what hypotheses are ranked by.
        public let score: Double
    }

    public let width: Int
    let network: UnrolledNetwork<Float>
    let vocabulary: Vocabulary
    /// The output bytes of each id, for the stop string.
    private let symbolBytes: [[UInt8]]

    public init(model: CharRNNModel<Float>, vocabulary: Vocabulary, width: Int) {
        precondition(width >= 1, "beam width \(width) must be at least 1")
        precondition(model.config.vocabularySize == vocabulary.count, "model and vocabulary sizes differ")
        self.width = width
        self.vocabulary = vocabulary
        network = UnrolledNetwork(model: model, batchSize: width, steps: 1, withGradients: false)
        symbolBytes = (0..<Int32(vocabulary.count)).map { vocabulary.bytes(of: [$0]) }
    }

    /// The `count` best continuations of at most `length` characters after `start` (a primed
    /// generator's state), best first. Without `stop` every one has `length` characters.
    public func search(from start: TextGenerator.State, length: Int, count: Int, stop: [UInt8] = [],
                       lengthPenalty α: Double = 0) -> [Hypothesis] {
        precondition(count >= 1 && count <= width, "count \(count) must lie in 1...\(width)")
        guard length > 0 else { return [Hypothesis(ids: [], logProbability: 0, score: 0)] }
        var run = Run(search: self, start: start, length: length, stop: stop)
        run.advance(count: count, α: α)
        return run.hypotheses(count: count, α: α)
    }

    /// One search: the beams, their history (parent slot and character per step) and what finished.
    private struct Run {
        let search: BeamSearch
        let N: Int, V: Int, length: Int
        let stop: [UInt8]
        /// Proposals per beam.
        let P: Int
        var active = 1
        var steps = 0
        var logp: [Double], nextLogp: [Double]
        /// (length, N): the slot each beam came from at the step before, and its character.
        var parents: [Int32], tokens: [Int32]
        /// Each beam's proposals, most likely first: ids and log-probabilities, (N, P).
        var proposedIDs: [Int32], proposedLogp: [Double], cursor: [Int]
        /// The last `stop.count` output bytes of each beam, (N, S), and how many it has.
        var tails: [UInt8], nextTails: [UInt8], tailCounts: [Int], nextTailCounts: [Int]
        var stateScratch: [Float]
        var finished: [(step: Int, parent: Int, token: Int32, logp: Double)] = []
        /// The best `count` log-probabilities of `finished`, best first.
        var bestFinished: [Double] = []

        init(search: BeamSearch, start: TextGenerator.State, length: Int, stop: [UInt8]) {
            self.search = search
            N = search.width
            V = search.vocabulary.count
            self.length = length
            self.stop = stop
            P = min(stop.isEmpty ? N : 2 * N, V)
            logp = [Double](repeating: 0, count: N)
            nextLogp = logp
            parents = [Int32](repeating: 0, count: length * N)
            tokens = parents
            proposedIDs = [Int32](repeating: 0, count: N * P)
            proposedLogp = [Double](repeating: 0, count: N * P)
            cursor = [Int](repeating: 0, count: N)
            tails = [UInt8](repeating: 0, count: N * stop.count)
            nextTails = tails
            tailCounts = [Int](repeating: 0, count: N)
            nextTailCounts = tailCounts
            let network = search.network
            stateScratch = [Float](repeating: 0, count: network.stateH.count)
            // Step 0 reads beam 0's logits, the primed ones; only beam 0 is active then.
            _ = UnsafeMutableBufferPointer(rebasing: network.logits[0..<V]).update(fromContentsOf: start.logits)
            // Every beam starts from the primed state (L, 1, H), copied into each of its N rows.
            let H = network.model.config.hiddenSize, layers = network.stateH.count / (N * H)
            for l in 0..<layers {
                for b in 0..<N {
                    for j in 0..<H {
                        network.stateH[(l * N + b) * H + j] = start.h[l * H + j]
                        network.stateC[(l * N + b) * H + j] = start.c[l * H + j]
                    }
                }
            }
        }

        mutating func advance(count: Int, α: Double) {
            let network = search.network
            bestFinished.reserveCapacity(count + 1)
            for t in 0..<length {
                for b in 0..<active { propose(beam: b) }
                let kept = select(step: t, count: count)
                guard kept > 0 else { break }  // every proposal finished
                (logp, nextLogp) = (nextLogp, logp)
                (tails, nextTails, tailCounts, nextTailCounts) = (nextTails, tails, nextTailCounts, tailCounts)
                reorderState(step: t, kept: kept)
                active = kept
                steps = t + 1
                // Log-probabilities only fall: once `count` finished ones beat the best beam, none can overtake them.
                if α == 0, bestFinished.count == count, logp[0] <= bestFinished[count - 1] { break }
                guard t + 1 < length else { break }
                for k in 0..<active { network.inputs[k] = tokens[t * N + k] }
                network.computeLogits()
            }
        }

        /// Beam b's P likeliest next characters, log p = z − log Σ e^z (ties: the lower id first).
        private mutating func propose(beam b: Int) {
            let z = UnsafeBufferPointer(rebasing: search.network.logits[(b * V)..<((b + 1) * V)])
            var peak = -Double.infinity
            for j in 0..<V { peak = max(peak, Double(z[j])) }
            var sum = 0.0
            for j in 0..<V { sum += Foundation.exp(Double(z[j]) - peak) }
            let logSum = peak + Foundation.log(sum)
            let base = b * P
            var filled = 0
            for j in 0..<V {
                let value = z[j]
                guard filled < P || value > z[Int(proposedIDs[base + filled - 1])] else { continue }
                var slot = min(filled, P - 1)
                while slot > 0, value > z[Int(proposedIDs[base + slot - 1])] {
                    proposedIDs[base + slot] = proposedIDs[base + slot - 1]
                    slot -= 1
                }
                proposedIDs[base + slot] = Int32(j)
                filled = min(filled + 1, P)
            }
            for r in 0..<P { proposedLogp[base + r] = logp[b] + Double(z[Int(proposedIDs[base + r])]) - logSum }
            cursor[b] = 0
        }

        /// Merges the beams' proposals, best first (ties: the lower beam), into the next beams;
        /// proposals that end with the stop string are set aside as finished. Returns the beams kept.
        private mutating func select(step t: Int, count: Int) -> Int {
            var kept = 0
            while kept < N {
                var best = -1
                for b in 0..<active where cursor[b] < P {
                    if best < 0 || proposedLogp[b * P + cursor[b]] > proposedLogp[best * P + cursor[best]] { best = b }
                }
                guard best >= 0 else { break }
                let token = proposedIDs[best * P + cursor[best]], value = proposedLogp[best * P + cursor[best]]
                cursor[best] += 1
                if extendTail(of: best, with: token, into: kept) {
                    finished.append((t, best, token, value))
                    var slot = bestFinished.count
                    while slot > 0, value > bestFinished[slot - 1] { slot -= 1 }
                    if slot < count { bestFinished.insert(value, at: slot) }
                    if bestFinished.count > count { bestFinished.removeLast() }
                    continue
                }
                parents[t * N + kept] = Int32(best)
                tokens[t * N + kept] = token
                nextLogp[kept] = value
                kept += 1
            }
            return kept
        }

        /// Writes beam b's tail followed by `token`'s bytes (the last S) into slot `k` of the next
        /// tails; returns whether they are the stop string.
        private mutating func extendTail(of b: Int, with token: Int32, into k: Int) -> Bool {
            let S = stop.count
            guard S > 0 else { return false }
            let bytes = search.symbolBytes[Int(token)]
            let total = tailCounts[b] + bytes.count, drop = max(total - S, 0)
            var n = 0
            for i in drop..<total {
                nextTails[k * S + n] = i < tailCounts[b] ? tails[b * S + i] : bytes[i - tailCounts[b]]
                n += 1
            }
            nextTailCounts[k] = n
            guard n == S else { return false }
            for i in 0..<S where nextTails[k * S + i] != stop[i] { return false }
            return true
        }

        /// Row k of the state ← row parents[t, k], for the layers' h and c.
        private mutating func reorderState(step t: Int, kept: Int) {
            reorder(search.network.stateH, step: t, kept: kept)
            reorder(search.network.stateC, step: t, kept: kept)
        }

        private mutating func reorder(_ state: UnsafeMutableBufferPointer<Float>, step t: Int, kept: Int) {
            let H = search.network.model.config.hiddenSize, layers = state.count / (N * H)
            _ = stateScratch.withUnsafeMutableBufferPointer { $0.update(fromContentsOf: state) }
            for l in 0..<layers {
                for k in 0..<kept {
                    let from = (l * N + Int(parents[t * N + k])) * H, to = (l * N + k) * H
                    for j in 0..<H { state[to + j] = stateScratch[from + j] }
                }
            }
        }

        /// The characters of the beam in slot `k` after `step` steps.
        private func path(slot k: Int, steps: Int) -> [Int32] {
            var ids: [Int32] = []
            var slot = k
            for s in stride(from: steps - 1, through: 0, by: -1) {
                ids.append(tokens[s * N + slot])
                slot = Int(parents[s * N + slot])
            }
            return ids.reversed()
        }

        func hypotheses(count: Int, α: Double) -> [Hypothesis] {
            var all: [Hypothesis] = []
            func add(_ ids: [Int32], _ logp: Double) {
                all.append(Hypothesis(ids: ids, logProbability: logp,
                                      score: logp / Foundation.pow(Double(max(ids.count, 1)), α)))
            }
            for f in finished { add(path(slot: f.parent, steps: f.step) + [f.token], f.logp) }
            for k in 0..<(steps == length ? active : 0) { add(path(slot: k, steps: steps), logp[k]) }
            // Stable: equal scores keep the order found.
            let ranked = all.enumerated().sorted { $0.element.score != $1.element.score
                ? $0.element.score > $1.element.score : $0.offset < $1.offset }
            return ranked.prefix(count).map(\.element)
        }
    }
}
