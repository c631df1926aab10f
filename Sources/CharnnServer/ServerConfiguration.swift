import CharRNN

/// What `charnn serve` was asked for: where to listen and the server's limits.
public struct ServerConfiguration: Sendable {
    /// A checkpoint path, or nil for `CheckpointDiscovery`'s (best, then latest).
    public var checkpoint: String?
    public var host = "127.0.0.1"
    /// 0 asks the system for a free port (the URL printed names it).
    public var port = 8080
    /// Generations running at once (requests and sessions); more get 429.
    public var maxStreams = 64
    /// Largest `max_tokens`, in characters.
    public var maxLength = 4096
    /// Largest `n` (choices per completion request).
    public var maxChoices = 8
    public var maxSessions = 1000
    /// Idle seconds after which a session is dropped.
    public var sessionTimeToLive: Duration = .seconds(600)
    /// Threads of the batched steps: OpenBLAS's, or the f16 products'.
    public var threads = 1
    /// The precision of the weight matrices generation reads.
    public var weights = WeightPrecision.f32

    public init(checkpoint: String? = nil) {
        self.checkpoint = checkpoint
    }
}
