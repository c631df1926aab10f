import Foundation

/// One row of `metrics.csv`.
public struct MetricsRow: Sendable {
    public var step: Int
    public var epoch: Double
    public var learningRate: Double
    public var trainingLoss: Double
    public var validationLoss: Double?
    public var gradientNorm: Double
    public var charsPerSecond: Double
    public var elapsed: Double
}

/// Appends rows to `OUT/metrics.csv` (losses in nats per character), writing the header when the
/// file is new, and keeps this run's rows for the plot.
final class MetricsLog {
    static let header = "step,epoch,lr,train_loss,val_loss,grad_norm,chars_per_s,elapsed_s\n"
    let path: String
    private(set) var rows: [MetricsRow] = []

    init(folder: String) {
        path = (folder as NSString).appendingPathComponent("metrics.csv")
    }

    func append(_ row: MetricsRow) {
        rows.append(row)
        var line = ""
        if !FileManager.default.fileExists(atPath: path) { line += MetricsLog.header }
        let validation = row.validationLoss.map { String(format: "%.6f", $0) } ?? ""
        line += String(format: "%d,%.4f,%.6g,%.6f,", row.step, row.epoch, row.learningRate, row.trainingLoss)
        line += validation
        line += String(format: ",%.4f,%.0f,%.2f\n", row.gradientNorm, row.charsPerSecond, row.elapsed)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(line.utf8))
    }
}
