import ArgumentParser
import CharnnServer
import CharRNN
import Foundation
import Synchronization

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the model over HTTP: OpenAI-compatible completions, sessions, scoring, and a playground at /.",
        discussion: "Without --checkpoint: ./checkpoints/best.safetensors.zst, else ./checkpoints/latest.safetensors.zst.")

    /// The defaults are `ServerConfiguration`'s, stated there once.
    private static let defaults = ServerConfiguration()

    @Option(help: "Checkpoint to serve.") var checkpoint: String?
    @Option(help: "Address to listen on (loopback unless you say otherwise).") var host = defaults.host
    @Option(help: "Port to listen on; 0 picks a free one (the URL printed names it).") var port = defaults.port
    @Option(help: "Generations running at once, requests and sessions together; more get 429.")
    var maxStreams = defaults.maxStreams
    @Option(help: "Largest max_tokens a request may ask for, in characters.") var maxLength = defaults.maxLength
    @Option(help: "Largest n (completions per request), at most --max-streams.") var maxChoices = defaults.maxChoices
    @Option(help: "Sessions held at once; more get 429.") var maxSessions = defaults.maxSessions
    @Option(help: "Idle seconds after which a session is dropped.")
    var sessionTtl = Int(defaults.sessionTimeToLive.components.seconds)
    @Option(help: "Threads of the batched steps: 2 splits each step with a second thread (f32: its units; f16: its large products): faster for large models, slower for small ones, whose HTTP side needs the second core.")
    var threads = defaults.threads
    @Option(help: "Weight precision: f32 as trained, or f16 (as sample --weights f16: half the memory read per step; the checkpoint stays f32).")
    var weights = defaults.weights

    func validate() throws {
        func require(_ ok: Bool, _ message: String) throws {
            if !ok { throw ValidationError(message) }
        }
        try require(port >= 0 && port <= 65535, "--port must be in 0...65535, got \(port)")
        try require(maxStreams >= 1 && maxStreams <= 4096, "--max-streams must be in 1...4096, got \(maxStreams)")
        try require(maxLength >= 1, "--max-length must be at least 1, got \(maxLength)")
        try require(maxChoices >= 1, "--max-choices must be at least 1, got \(maxChoices)")
        try require(maxSessions >= 0, "--max-sessions must be 0 or positive, got \(maxSessions)")
        try require(sessionTtl >= 1, "--session-ttl must be at least 1 second, got \(sessionTtl)")
        try require(threads >= 1, "--threads must be at least 1, got \(threads)")
    }

    /// The command line runs synchronously: the server runs on Swift's concurrency pool while this
    /// thread waits for it to end.
    func run() throws {
        var configuration = ServerConfiguration(checkpoint: checkpoint)
        configuration.host = host
        configuration.port = port
        configuration.maxStreams = maxStreams
        configuration.maxLength = maxLength
        configuration.maxChoices = min(maxChoices, maxStreams)  // more could never all run
        configuration.maxSessions = maxSessions
        configuration.sessionTimeToLive = .seconds(sessionTtl)
        configuration.threads = threads
        configuration.weights = weights
        let outcome = Mutex<Result<Void, Error>>(.success(()))
        let ended = DispatchSemaphore(value: 0)
        Task { [configuration] in
            do {
                try await CharnnServer.run(configuration)
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            ended.signal()
        }
        ended.wait()
        if case .failure(let error) = outcome.withLock({ $0 }) { throw fail(error) }
    }
}
