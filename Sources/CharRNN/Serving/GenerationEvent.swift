/// One generated character as the model saw it: its log-probability and the likeliest alternatives
/// at its position, from the model's own distribution (softmax of the logits, before temperature,
/// top-k and top-p: what the model predicts, whatever the sampling settings).
public struct CharacterLogprob: Sendable, Equatable {
    public var character: String
    public var logprob: Double
    /// Most likely first.
    public var alternatives: [(character: String, logprob: Double)]

    public static func == (lhs: CharacterLogprob, rhs: CharacterLogprob) -> Bool {
        lhs.character == rhs.character && lhs.logprob == rhs.logprob
            && lhs.alternatives.map(\.character) == rhs.alternatives.map(\.character)
            && lhs.alternatives.map(\.logprob) == rhs.alternatives.map(\.logprob)
    }
}

/// Why a generation ended.
public enum FinishReason: String, Sendable {
    /// It generated its length.
    case length
    /// A stop text was generated.
    case stop
    /// The server was shutting down and cut it.
    case shutdown
}

/// What a stream hands its consumer, in order: text as it is released, then one `finished`.
public enum GenerationEvent: Sendable {
    /// Characters released (possibly several at once, when a stop text was possible and then
    /// ruled out), with their log-probabilities when asked for.
    case text(String, [CharacterLogprob])
    /// The end: why, how many characters were generated (a stop text's included), and where the
    /// text now stands (for a session to keep).
    case finished(FinishReason, generated: Int, state: RecurrentState)
}

/// A generation in progress: its events, and a way to stop it (a client that went away).
public struct Generation: Sendable {
    public let events: GenerationEvents
    private let cancelAction: @Sendable () -> Void

    public init(events: GenerationEvents, cancel: @escaping @Sendable () -> Void) {
        self.events = events
        cancelAction = cancel
    }

    /// Frees the stream's slot at the batcher's next step; the events end without `.finished`.
    public func cancel() { cancelAction() }
}
