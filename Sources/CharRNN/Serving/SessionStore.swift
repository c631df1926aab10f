import Foundation
import Synchronization

/// Texts kept between calls: each session is a `RecurrentState` (a few kilobytes), so a session
/// costs no model work while idle. Sessions idle longer than `timeToLive` are dropped; at most
/// `maxSessions` exist at once. A session serves one request at a time (`checkOut` … `checkIn`).
public final class SessionStore: Sendable {
    public let maxSessions: Int
    public let timeToLive: Duration
    private let config: ModelConfig

    private struct Entry {
        var state: RecurrentState
        var lastUsed: ContinuousClock.Instant
        var busy: Bool
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init(config: ModelConfig, maxSessions: Int, timeToLive: Duration) {
        self.config = config
        self.maxSessions = maxSessions
        self.timeToLive = timeToLive
    }

    /// Sessions alive now (expired ones are dropped first).
    public var count: Int {
        entries.withLock { entries in
            Self.dropExpired(&entries, now: .now, timeToLive: timeToLive)
            return entries.count
        }
    }

    /// A new session at a fresh state; its id is 128 random bits in hex.
    public func create() throws(ServingError) -> String {
        let id = (0..<2).map { _ in String(format: "%016llx", UInt64.random(in: .min ... .max)) }.joined()
        let fresh = RecurrentState.fresh(config)
        let created: Bool = entries.withLock { entries in
            Self.dropExpired(&entries, now: .now, timeToLive: timeToLive)
            guard entries.count < maxSessions else { return false }
            entries[id] = Entry(state: fresh, lastUsed: .now, busy: false)
            return true
        }
        guard created else { throw .tooManySessions(limit: maxSessions) }
        return id
    }

    /// Takes the session's state for one request; `checkIn` returns the new state, `release` the old.
    public func checkOut(_ id: String) throws(ServingError) -> RecurrentState {
        let result: Result<RecurrentState, ServingError> = entries.withLock { entries in
            Self.dropExpired(&entries, now: .now, timeToLive: timeToLive)
            guard var entry = entries[id] else { return .failure(.unknownSession(id)) }
            guard !entry.busy else { return .failure(.sessionBusy(id)) }
            entry.busy = true
            entry.lastUsed = .now
            entries[id] = entry
            return .success(entry.state)
        }
        return try result.get()
    }

    /// Stores the state a request left (a session deleted meanwhile stays deleted).
    public func checkIn(_ id: String, state: RecurrentState) {
        entries.withLock { entries in
            guard entries[id] != nil else { return }
            entries[id] = Entry(state: state, lastUsed: .now, busy: false)
        }
    }

    /// Ends a request that changed nothing.
    public func release(_ id: String) {
        entries.withLock { entries in
            entries[id]?.busy = false
            entries[id]?.lastUsed = .now
        }
    }

    /// Throws `unknownSession` unless `id` is alive: a request about a session that does not exist
    /// is answered 404 before its body is judged.
    public func requireExists(_ id: String) throws(ServingError) {
        let exists = entries.withLock { entries in
            Self.dropExpired(&entries, now: .now, timeToLive: timeToLive)
            return entries[id] != nil
        }
        guard exists else { throw .unknownSession(id) }
    }

    public func delete(_ id: String) throws(ServingError) {
        let removed = entries.withLock { entries in entries.removeValue(forKey: id) != nil }
        guard removed else { throw .unknownSession(id) }
    }

    /// A busy session is never dropped: its request is still running.
    private static func dropExpired(_ entries: inout [String: Entry], now: ContinuousClock.Instant,
                                    timeToLive: Duration) {
        entries = entries.filter { $0.value.busy || now - $0.value.lastUsed < timeToLive }
    }
}
