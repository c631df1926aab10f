import Foundation

/// One generation inside the batcher: its state between steps, what it still has to feed, its own
/// picker and random stream, and the stop texts it watches for. Touched by the batcher's thread only.
///
/// Its text goes to the consumer at `release()`, which the batcher calls every few milliseconds,
/// and its first text at once: one event then carries many characters instead of one each.
final class ActiveStream {
    let id: UInt64
    /// The carried state between steps, (L, H) each; separate properties so that both can be
    /// borrowed at once.
    var h: [Float]
    var c: [Float]
    /// The pending character of the state this stream started from.
    private let startPending: Int32?
    /// Ids to feed, one per step: the prime, then each pick.
    private var feed: [Int32]
    private var fed = 0
    private var picker: TokenPicker
    private var random: SplitMix64
    private var remaining: Int
    private var generated = 0
    private let alternatives: Int
    private var stops: StopMatcher
    private let continuation: GenerationEvents
    /// The last character of the text, once it is known and unfed.
    private var last: Int32?
    /// Text picked and not yet handed to the consumer: its bytes and logprobs (capacity kept).
    private var unsent: [UInt8] = []
    private var unsentLogprobs: [CharacterLogprob] = []
    private var sentText = false
    private(set) var isFinished = false

    init(id: UInt64, state: RecurrentState, feed: [Int32], settings: GenerationSettings, vocabularySize: Int,
         continuation: GenerationEvents) {
        precondition(!feed.isEmpty, "a stream feeds at least one character")
        self.id = id
        h = state.h
        c = state.c
        startPending = state.pending
        self.continuation = continuation
        picker = TokenPicker(vocabularySize: vocabularySize, temperature: settings.temperature,
                             topK: settings.topK, topP: settings.topP)
        random = SplitMix64(seed: settings.seed)
        remaining = settings.length
        alternatives = settings.alternatives
        stops = StopMatcher(stops: settings.stops)
        if settings.length == 0 {
            // Nothing to pick: feed all but the last character, which stays pending.
            self.feed = Array(feed.dropLast())
            last = feed.last
        } else {
            self.feed = feed
        }
    }

    /// True when the stream generates nothing and has nothing to feed: it ends before any step.
    var hasNothingToFeed: Bool { remaining == 0 && fed == feed.count }

    /// The id this stream feeds in the coming step.
    func nextInput() -> Int32 {
        defer { fed += 1 }
        return feed[fed]
    }

    /// After a step: picks when the prime is fed (as `TextGenerator.generate`: pick, emit, stop
    /// check, feed the pick). Returns why the stream ends, if it does.
    func afterStep(logits: UnsafeBufferPointer<Float>, vocabulary: Vocabulary) -> FinishReason? {
        guard fed == feed.count else { return nil }  // still feeding
        guard remaining > 0 else { return .length }  // a length-0 stream that fed its text
        let id = picker.pick(logits: logits, using: &random)
        remaining -= 1
        generated += 1
        last = id
        let logprob = alternatives > 0
            ? CharacterLogprob(logits: logits, picked: id, alternatives: alternatives, vocabulary: vocabulary) : nil
        let stopped = stops.append(id, logprob: logprob, vocabulary: vocabulary,
                                   releasingInto: &unsent, &unsentLogprobs)
        if !sentText { release() }
        if stopped { return .stop }
        if remaining == 0 { return .length }
        feed.removeAll(keepingCapacity: true)
        feed.append(id)
        fed = 0
        return nil
    }

    func finish(reason: FinishReason, vocabulary: Vocabulary) {
        if reason != .stop { stops.flush(into: &unsent, &unsentLogprobs) }
        release()
        let state = RecurrentState(h: h, c: c, pending: last ?? startPending)
        continuation.yield(.finished(reason, generated: generated, state: state))
        continuation.finish()
        isFinished = true
    }

    /// Ends the events without `.finished`: nobody is listening.
    func abandon() {
        continuation.finish()
        isFinished = true
    }

    /// Hands the text picked since the last release to the consumer as one event.
    func release() {
        guard !unsent.isEmpty else { return }
        continuation.yield(.text(String(decoding: unsent, as: UTF8.self), unsentLogprobs))
        unsent.removeAll(keepingCapacity: true)
        unsentLogprobs.removeAll(keepingCapacity: true)
        sentText = true
    }
}

extension CharacterLogprob {
    /// The picked character's log-probability and the `alternatives` likeliest characters, from
    /// log-softmax of the raw logits.
    init(logits: UnsafeBufferPointer<Float>, picked: Int32, alternatives: Int, vocabulary: Vocabulary) {
        var peak = -Double.infinity
        for z in logits { peak = max(peak, Double(z)) }
        var sum = 0.0
        for z in logits { sum += Foundation.exp(Double(z) - peak) }
        let logNormaliser = peak + Foundation.log(sum)
        var order = Array(0..<logits.count)
        order.sort { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        self.init(character: vocabulary.symbol(picked), logprob: Double(logits[Int(picked)]) - logNormaliser,
                  alternatives: order.prefix(alternatives).map {
                      (vocabulary.symbol(Int32($0)), Double(logits[$0]) - logNormaliser)
                  })
    }
}
