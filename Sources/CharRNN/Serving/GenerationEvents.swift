import Synchronization

/// The events of one generation, from the batcher's thread to one consumer, as an `AsyncSequence`.
///
/// Unlike an `AsyncStream` it coalesces: text released while the consumer is busy elsewhere (say,
/// writing the previous chunk to a slow socket) waits here, and the consumer's next `next()` gets
/// all of it as one `.text` event. The batcher never waits: `yield` only appends, or hands the event
/// to a consumer already waiting. A consumer that is cancelled while waiting ends the sequence and
/// calls `onCancel` (the batcher then frees the stream's slot).
public final class GenerationEvents: AsyncSequence, Sendable {
    public typealias Element = GenerationEvent

    private struct State {
        var pending: [GenerationEvent] = []
        var finished = false
        var waiter: CheckedContinuation<GenerationEvent?, Never>?
        var onCancel: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    public init() {}

    /// Called once if the consumer is cancelled before the events end.
    func setOnCancel(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.onCancel = action }
    }

    /// Adds an event (after `finish`, nothing).
    func yield(_ event: GenerationEvent) {
        let waiter = state.withLock { state -> CheckedContinuation<GenerationEvent?, Never>? in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// Ends the events once the pending ones are taken.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<GenerationEvent?, Never>? in
            state.finished = true
            state.onCancel = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next event: the pending ones' first, with every `.text` right after a `.text` joined to
    /// it; nil at the end.
    private func next() async -> GenerationEvent? {
        if let ready = state.withLock({ Self.take(&$0) }) { return ready }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> GenerationEvent?? in
                    if let event = Self.take(&state) { return .some(event) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let (waiter, action) = state.withLock { state in
                defer { (state.waiter, state.onCancel, state.finished) = (nil, nil, true) }
                return (state.waiter, state.onCancel)
            }
            waiter?.resume(returning: nil)
            action?()
        }
    }

    /// Removes and returns the first pending event, joined with the texts that follow it.
    private static func take(_ state: inout State) -> GenerationEvent? {
        guard !state.pending.isEmpty else { return nil }
        var count = 1
        var event = state.pending[0]
        if case .text(var text, var logprobs) = event {
            while count < state.pending.count, case .text(let more, let moreLogprobs) = state.pending[count] {
                text += more
                logprobs += moreLogprobs
                count += 1
            }
            event = .text(text, logprobs)
        }
        state.pending.removeFirst(count)
        return event
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let events: GenerationEvents
        public mutating func next() async -> GenerationEvent? { await events.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(events: self) }
}
