import Prometheus

/// The server's Prometheus metrics (text format at GET /metrics): requests by route and status,
/// active streams and sessions, characters generated, and the batcher's batch size and step
/// latency per step. Names: `charnn_<name>_<unit>` (the unit left out when empty).
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let activeStreams: Gauge
    let activeSessions: Gauge
    let charactersGenerated: Counter
    let batchSize: ValueHistogram
    let stepLatency: DurationHistogram
    /// Seconds spent in each stage of serving a character, summed (`Stage`).
    private let stageSeconds: [Stage: Counter]

    /// Where a streamed character's time goes: the batched recurrent step, picking each stream's
    /// character (softmax, sampling, stop texts), encoding the chunk, writing it to the socket.
    enum Stage: String, CaseIterable {
        case step, pick, encode, write
    }

    private static func name(_ name: String, unit: String = "", help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "charnn", metricName: name, unitName: unit, helpText: help)
    }

    init() {
        activeStreams = registry.makeGauge(descriptor: Self.name("active_streams", help: "Generations in the batcher."))
        activeSessions = registry.makeGauge(descriptor: Self.name("active_sessions", help: "Sessions held."))
        charactersGenerated = registry.makeCounter(descriptor: Self.name(
            "characters_generated", unit: "total", help: "Characters generated, over all requests and sessions."))
        batchSize = registry.makeValueHistogram(
            descriptor: Self.name("batch_size", help: "Streams advanced together per batched step."),
            buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256])
        stepLatency = registry.makeDurationHistogram(
            descriptor: Self.name("step", unit: "seconds", help: "Seconds per batched recurrent step (all active streams)."),
            buckets: [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                      .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                      .milliseconds(100), .milliseconds(250)])
        var stages: [Stage: Counter] = [:]
        for stage in Stage.allCases {
            stages[stage] = registry.makeCounter(
                descriptor: Self.name("stage", unit: "seconds_total",
                                      help: "Seconds spent per serving stage (step, pick, encode, write), summed."),
                labels: [("stage", stage.rawValue)])
        }
        stageSeconds = stages
    }

    func observeStage(_ stage: Stage, seconds: Double) {
        stageSeconds[stage]!.increment(by: seconds)
    }

    func observeStage(_ stage: Stage, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        observeStage(stage, seconds: elapsed.inSeconds)
    }

    func countRequest(route: String, status: Int) {
        registry.makeCounter(descriptor: Self.name("requests", unit: "total", help: "HTTP requests by route and status."),
                             labels: [("route", route), ("status", String(status))]).increment()
    }

    func observeStep(batchSize size: Int, seconds: Double, pickSeconds: Double) {
        batchSize.record(Double(size))
        stepLatency.recordNanoseconds(Int64(seconds * 1e9))
        observeStage(.step, seconds: seconds - pickSeconds)
        observeStage(.pick, seconds: pickSeconds)
    }
}
