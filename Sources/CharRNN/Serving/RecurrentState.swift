/// Where one text stands in a language model: the carried state after every character so far but
/// the last, and that last character, not yet fed. Keeping the last one unfed means the state
/// needs no logits beside it: the next generation starts by feeding `pending` and picks from
/// what that step gives. A fresh state (zero, nothing pending) starts as `charnn sample` does.
///
/// Size: 2·L·H floats for an LSTM (h and c), L·H for a GRU, plus the pending id; for model L
/// (LSTM, 3×512) that is 12 KiB.
public struct RecurrentState: Sendable, Equatable {
    /// (L, H) each; `c` is all zero for a GRU.
    public var h: [Float]
    public var c: [Float]
    /// The last character of the text, not yet fed; nil for a fresh state.
    public var pending: Int32?

    public static func fresh(_ config: ModelConfig) -> RecurrentState {
        let count = config.layerCount * config.hiddenSize
        return RecurrentState(h: [Float](repeating: 0, count: count), c: [Float](repeating: 0, count: count), pending: nil)
    }

    /// Bytes of state held per text (h and c, excluding array headers).
    public var byteCount: Int { (h.count + c.count) * MemoryLayout<Float>.stride }
}
