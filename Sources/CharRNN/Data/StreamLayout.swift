/// Cuts an id sequence into windows for truncated BPTT, stream-major as in char-rnn: the corpus
/// is split into `B` contiguous streams, and row `b` of window `k` continues row `b` of window
/// `k − 1`, so recurrent state may be carried from one window to the next. With `N` ids:
///
///     S = ⌊(N − 1) / B⌋                      stream length
///     K = ⌊S / T⌋                            windows per epoch
///     inputs[t, b]  = ids[b·S + k·T + t]       (T, B), time-major
///     targets[t, b] = ids[b·S + k·T + t + 1]   0 ≤ t < T, 0 ≤ b < B, 0 ≤ k < K
///
/// The ids past `B·S + 1` are not used.
public struct StreamLayout: Sendable {
    public let batchSize: Int
    public let steps: Int
    /// `S`: ids per stream.
    public let streamLength: Int
    /// `K`: windows that fit in every stream.
    public let windowsPerEpoch: Int
    private let ids: CorpusIDs

    /// - Parameter role: "training" or "validation", named in the error when `ids` is too short.
    /// - Throws: `DataError.corpusTooSmall` when not even one window fits (N < B·T + 1).
    public init(ids: CorpusIDs, batchSize B: Int, steps T: Int, role: String) throws(DataError) {
        precondition(B > 0 && T > 0, "batch size \(B) and steps \(T) must be positive")
        let N = ids.count
        let S = max(N - 1, 0) / B
        guard S / T >= 1 else {
            throw .corpusTooSmall(role: role, have: N, need: B * T + 1, batch: B, steps: T)
        }
        self.ids = ids
        batchSize = B
        steps = T
        streamLength = S
        windowsPerEpoch = S / T
    }

    /// Writes window `k` into `inputs` and `targets`, each `T·B` ids laid out (T, B). Allocation-free.
    /// With `streams`, only that block of streams, laid out (T, streams.count): one rank's share.
    func fill(window k: Int, streams: Range<Int>? = nil, inputs: UnsafeMutablePointer<Int32>,
                     targets: UnsafeMutablePointer<Int32>) {
        precondition(k >= 0 && k < windowsPerEpoch, "window \(k) outside 0..<\(windowsPerEpoch)")
        let streams = streams ?? 0..<batchSize
        ids.withStored { stored in
            switch stored {
            case .uint8(let ids): fill(window: k, streams, from: ids, inputs, targets)
            case .uint16(let ids): fill(window: k, streams, from: ids, inputs, targets)
            case .uint32(let ids): fill(window: k, streams, from: ids, inputs, targets)
            }
        }
    }

    /// Writes window `k` for a restoration task: each position's target is its own character and
    /// its input that character's degraded form, `degradedForm[id]`. Allocation-free.
    func fillRestorationPairs(window k: Int, streams: Range<Int>? = nil, degradedForm: UnsafePointer<Int32>,
                            inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>) {
        precondition(k >= 0 && k < windowsPerEpoch, "window \(k) outside 0..<\(windowsPerEpoch)")
        let streams = streams ?? 0..<batchSize
        let (B, T, S) = (streams.count, steps, streamLength)
        for b in 0..<B {
            let rowStart = (streams.lowerBound + b) * S + k * T
            for t in 0..<T {
                let id = ids[rowStart + t]
                targets[t * B + b] = id
                inputs[t * B + b] = degradedForm[Int(id)]
            }
        }
    }

    @inline(__always)
    private func fill<Stored: FixedWidthInteger>(
        window k: Int, _ streams: Range<Int>, from ids: UnsafeBufferPointer<Stored>,
        _ inputs: UnsafeMutablePointer<Int32>, _ targets: UnsafeMutablePointer<Int32>
    ) {
        precondition(streams.lowerBound >= 0 && streams.upperBound <= batchSize, "streams \(streams) outside 0..<\(batchSize)")
        let (B, T, S) = (streams.count, steps, streamLength)
        for b in 0..<B {
            let rowStart = (streams.lowerBound + b) * S + k * T
            for t in 0..<T {
                inputs[t * B + b] = Int32(ids[rowStart + t])
                targets[t * B + b] = Int32(ids[rowStart + t + 1])
            }
        }
    }
}
