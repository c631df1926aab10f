import CharRNN
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `charnn serve`: loads the checkpoint, starts the batcher, and serves the API until SIGINT or
/// SIGTERM. Then the batcher cuts every open stream (each gets its final chunk, finish reason
/// `shutdown`, and `[DONE]`), the HTTP server stops accepting and closes once the responses are
/// written, and `run` returns.
public enum CharnnServer {
    public static func run(_ configuration: ServerConfiguration) async throws {
        let path = try CheckpointDiscovery.resolve(configuration.checkpoint)
        let checkpoint = try Checkpoint.read(from: path)
        if configuration.weights == .f16 && !ServedModel.generatesText(checkpoint) {
            throw StartFailure(description: "\(path) is a \(checkpoint.task.rawValue) model; --weights f16 serves "
                               + "language models that generate text, serve this one with --weights f32")
        }
        let served = try ServedModel(checkpoint: checkpoint, name: modelName(path: path),
                                     maxStreams: configuration.maxStreams, maxSessions: configuration.maxSessions,
                                     sessionTimeToLive: configuration.sessionTimeToLive, weights: configuration.weights,
                                     threads: configuration.threads)
        // With two threads and f32 weights the batcher's steps are split with a partner thread, which
        // OpenBLAS's waiting threads would slow (`TextGenerator.splitsSteps`): OpenBLAS gets one.
        setBLASThreadCount(configuration.weights == .f32 ? 1 : configuration.threads)
        let metrics = ServerMetrics()
        if let batcher = served.batcher {
            batcher.stepObserver = { size, seconds, pickSeconds in
                metrics.observeStep(batchSize: size, seconds: seconds, pickSeconds: pickSeconds)
            }
            batcher.start()
        }
        let summary = "\(served.name) (\(checkpoint.config.cell.rawValue) \(checkpoint.config.layerCount)×"
            + "\(checkpoint.config.hiddenSize), \(served.task.rawValue)\(served.weights == .f16 ? ", f16 weights" : ""))"
        var logger = Logger(label: "charnn-serve")
        logger.logLevel = .warning
        let responder = APIResponder(served: served, configuration: configuration, metrics: metrics)
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                    serverName: "charnn"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
                FileHandle.standardOutput.write(Data("charnn serve: \(summary) at http://\(host):\(port)/\n".utf8))
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [app, BatcherShutdown(batcher: served.batcher)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The checkpoint's file name without its extensions: `checkpoints/best.safetensors.zst` is `best`.
    /// A server that cannot start as asked: one line for the command to print.
    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    static func modelName(path: String) -> String {
        let file = URL(fileURLWithPath: path).lastPathComponent
        return String(file.split(separator: ".", maxSplits: 1).first ?? Substring(file))
    }
}

/// Cuts open streams when shutdown begins. Services shut down in reverse order, so this one goes
/// first, before the HTTP server waits for its open responses to end.
struct BatcherShutdown: Service {
    let batcher: ContinuousBatcher?

    func run() async throws {
        try? await gracefulShutdown()
        batcher?.shutdown()
    }
}
