import Foundation

/// What a run leaves in its output folder besides checkpoints: `metrics.csv` and the `loss.svg`
/// plot of this run's rows. Only the leader writes; other ranks record nothing.
final class RunRecorder {
    private let log: MetricsLog
    private let title: String
    private let isLeader: Bool
    let plotPath: String

    init(folder: String, title: String, isLeader: Bool) {
        log = MetricsLog(folder: folder)
        plotPath = (folder as NSString).appendingPathComponent("loss.svg")
        self.title = title
        self.isLeader = isLeader
    }

    var metricsPath: String { log.path }
    var rows: [MetricsRow] { log.rows }

    /// Appends a row; a validation row also redraws the plot.
    func append(_ row: MetricsRow) {
        guard isLeader else { return }
        log.append(row)
        if row.validationLoss != nil { writePlot() }
    }

    func writePlot() {
        guard isLeader, !log.rows.isEmpty else { return }
        try? AtomicFile.write(Array(CurvePlot.lossSVG(rows: log.rows, title: title).utf8), to: plotPath)
    }
}
