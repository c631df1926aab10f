import Foundation

/// What a sweep reports: the table (best first), `sweep.csv` (one row per trial per rung) and
/// `sweep.svg` (validation bits/char against wall time for every trial, and the best bits/char by
/// layers × hidden at the winner's learning rate).
public struct SweepReport {
    let state: SweepState
    /// For each trial id: (cumulative wall seconds, validation bits/char) of every validation.
    let curves: [Int: [(Double, Double)]]
    let winner: Int?

    public init(runner: SweepRunner) {
        state = runner.state
        winner = runner.winner?.id
        var curves: [Int: [(Double, Double)]] = [:]
        for trial in state.trials {
            let path = (runner.trialFolder(trial) as NSString).appendingPathComponent("metrics.csv")
            curves[trial.id] = Self.validationCurve(csv: (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
        }
        self.curves = curves
    }

    /// Validation points of a trial's `metrics.csv`, whose rows restart their elapsed time with each
    /// run (`--resume`): later runs are offset by where the previous one ended.
    static func validationCurve(csv: String) -> [(Double, Double)] {
        var points: [(Double, Double)] = []
        var offset = 0.0, previous = 0.0
        for line in csv.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 8, let elapsed = Double(fields[7]) else { continue }
            if elapsed < previous { offset += previous }
            previous = elapsed
            if let loss = Double(fields[4]) { points.append((offset + elapsed, loss / Foundation.log(2.0))) }
        }
        return points
    }

    private func bits(_ loss: Double?) -> String {
        loss.map { String(format: "%.4f", $0 / Foundation.log(2.0)) } ?? "—"
    }

    private func outcome(_ trial: SweepState.Trial) -> String {
        if trial.id == winner { return "winner" }
        return trial.status.rawValue
    }

    /// Trials sorted by best validation bits/char (failed and unscored last).
    private var ranked: [SweepState.Trial] {
        state.trials.sorted { ($0.bestValidationLoss ?? .infinity, $0.id) < ($1.bestValidationLoss ?? .infinity, $1.id) }
    }

    public func table() -> String {
        let flags = state.grid.axes.map(\.flag)
        var rows = [["trial"] + flags + ["parameters", "steps", "chars/s", "best val bits/char", "time", "rung", "outcome"]]
        for trial in ranked {
            let values = stride(from: 1, to: trial.flags.count, by: 2).map { trial.flags[$0] }
            rows.append([String(trial.id)] + values + [
                trial.parameters.map(String.init) ?? "—", String(trial.steps),
                trial.charsPerSecond.map { String(format: "%.0f", $0) } ?? "—", bits(trial.bestValidationLoss),
                ProgressPrinter.duration(trial.seconds), "\(trial.rung + 1)/\(state.schedule.rungCount)", outcome(trial),
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    public func csv() -> String {
        let flags = state.grid.axes.map(\.flag)
        var lines = [(["trial", "rung"] + flags + ["parameters", "steps", "seconds", "chars_per_s",
                                                     "best_val_bits_per_char", "outcome"]).joined(separator: ",")]
        for trial in state.trials {
            let values = stride(from: 1, to: trial.flags.count, by: 2).map { trial.flags[$0] }
            for rung in Set(trial.runs.map(\.rung)).sorted() {
                let runs = trial.runs.filter { $0.rung == rung }
                let last = runs.last!
                let best = trial.runs.filter { $0.rung <= rung }.compactMap(\.bestValidationLoss).min()
                let result = rung < trial.rung ? "promoted" : outcome(trial)
                lines.append(([String(trial.id), String(rung + 1)] + values + [
                    last.parameters.map(String.init) ?? "", String(last.steps),
                    String(format: "%.1f", runs.reduce(0) { $0 + $1.seconds }),
                    last.charsPerSecond.map { String(format: "%.0f", $0) } ?? "",
                    best.map { String(format: "%.6f", $0 / Foundation.log(2.0)) } ?? "", result,
                ]).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The configuration of a trial as a short label: "layers 2, hidden 256, lr 2e-3".
    private func label(_ trial: SweepState.Trial) -> String {
        stride(from: 0, to: trial.flags.count, by: 2).map { "\(trial.flags[$0].dropFirst(2)) \(trial.flags[$0 + 1])" }
            .joined(separator: ", ")
    }

    public func svg(title: String) -> String {
        let width = 760.0, panelHeight = 330.0, left = 70.0, right = 20.0
        let height = panelHeight + 70 + 22 * Double(max(bestByShape().bars.count, 1))
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="22" text-anchor="middle" font-size="15">\(Self.escape(title))</text>

        """
        // Panel 1: every trial's validation curve against wall time.
        let top = 40.0, plotWidth = width - left - right, plotHeight = panelHeight - 70
        let all = curves.values.flatMap { $0 }
        let xHigh = max(all.map(\.0).max() ?? 1, 1e-9)
        var low = all.map(\.1).min() ?? 0, high = all.map(\.1).max() ?? 1
        if high - low < 1e-3 { (low, high) = (low - 0.5, high + 0.5) }
        (low, high) = (max(0, low - 0.05 * (high - low)), high + 0.05 * (high - low))
        func x(_ v: Double) -> Double { left + v / xHigh * plotWidth }
        func y(_ v: Double) -> Double { top + (high - v) / (high - low) * plotHeight }
        svg += axes(left: left, top: top, width: plotWidth, height: plotHeight,
                    yTicks: (0...4).map { low + (high - low) * Double($0) / 4 }, y: y,
                    xTicks: (0...4).map { xHigh * Double($0) / 4 }, x: x,
                    xLabel: "wall time of the trial (seconds)", yLabel: "validation bits/char")
        let ordered = state.trials.sorted { a, b in (a.id == winner ? 1 : 0, a.id) < (b.id == winner ? 1 : 0, b.id) }
        for trial in ordered {
            guard let points = curves[trial.id], !points.isEmpty else { continue }
            let pruned = trial.status == .pruned || trial.status == .failed
            let color = trial.id == winner ? "#d62728" : pruned ? "#999" : "#1f77b4"
            let style = trial.id == winner ? "stroke-width=\"3\"" : pruned ? "stroke-width=\"1\" stroke-opacity=\"0.45\"" : "stroke-width=\"1.6\""
            if points.count == 1 {  // a trial pruned after one validation: a dot
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\" fill-opacity=\"0.6\">", x(points[0].0), y(points[0].1), color)
                svg += "<title>\(Self.escape(label(trial)))</title></circle>\n"
                continue
            }
            let coordinates = points.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" \(style) points=\"\(coordinates)\"><title>\(Self.escape(label(trial)))</title></polyline>\n"
        }
        let legend = [("#d62728", "winner"), ("#1f77b4", "reached the last rung"), ("#999", "pruned")]
        for (i, item) in legend.enumerated() {
            let ly = top + 14 + 16 * Double(i)
            svg += "<line x1=\"\(left + plotWidth - 170)\" y1=\"\(ly)\" x2=\"\(left + plotWidth - 150)\" y2=\"\(ly)\" stroke=\"\(item.0)\" stroke-width=\"2\"/>"
            svg += "<text x=\"\(left + plotWidth - 145)\" y=\"\(ly + 4)\">\(item.1)</text>\n"
        }

        // Panel 2: best bits/char by layers × hidden, at the winner's learning rate.
        let top2 = panelHeight + 50
        let (bars, lr) = bestByShape()
        svg += "<text x=\"\(width / 2)\" y=\"\(top2 - 8)\" text-anchor=\"middle\" font-size=\"13\">best validation bits/char by layers × hidden"
            + (lr.map { " at --lr \($0)" } ?? "") + "</text>\n"
        let barTop = top2 + 5, labelWidth = 170.0
        let barHeight = 22.0
        let barMax = (bars.map(\.1).max() ?? 1) * 1.05
        for (i, bar) in bars.enumerated() {
            let by = barTop + Double(i) * barHeight
            let length = (width - left - right - labelWidth) * bar.1 / barMax
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>", left + labelWidth - 6, by + barHeight * 0.7, Self.escape(bar.0))
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"/>", left + labelWidth, by + 2, length, barHeight - 4, i == 0 ? "#d62728" : "#1f77b4")
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">%.3f</text>\n", left + labelWidth + length + 4, by + barHeight * 0.7, bar.1)
        }
        return svg + "</svg>\n"
    }

    /// The best bits/char of each layers × hidden at the winner's learning rate, best first.
    private func bestByShape() -> (bars: [(String, Double)], lr: String?) {
        let winnerTrial = state.trials.first { $0.id == winner }
        let lr = winnerTrial.flatMap { value(of: "--lr", in: $0) }
        var bars: [(String, Double)] = []
        for trial in state.trials where lr == nil || value(of: "--lr", in: trial) == lr {
            guard let best = trial.bestValidationLoss else { continue }
            let name = ["--layers", "--hidden"].compactMap { flag in value(of: flag, in: trial).map { "\(flag.dropFirst(2)) \($0)" } }
            let key = name.isEmpty ? label(trial) : name.joined(separator: " × ")
            let bitsPerChar = best / Foundation.log(2.0)
            if let existing = bars.firstIndex(where: { $0.0 == key }) {
                bars[existing].1 = min(bars[existing].1, bitsPerChar)
            } else {
                bars.append((key, bitsPerChar))
            }
        }
        bars.sort { $0.1 < $1.1 }
        return (bars, lr)
    }

    private func value(of flag: String, in trial: SweepState.Trial) -> String? {
        guard let index = trial.flags.firstIndex(of: flag), index + 1 < trial.flags.count else { return nil }
        return trial.flags[index + 1]
    }

    private func axes(left: Double, top: Double, width: Double, height: Double, yTicks: [Double], y: (Double) -> Double,
                      xTicks: [Double], x: (Double) -> Double, xLabel: String, yLabel: String) -> String {
        var svg = String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n", left, top, width, height)
        for tick in yTicks {
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, y(tick), left + width, y(tick))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n", left - 6, y(tick) + 4, tick)
        }
        for tick in xTicks {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", x(tick), top + height + 16, tick)
        }
        svg += "<text x=\"\(left + width / 2)\" y=\"\(top + height + 34)\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(18,\(top + height / 2)) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
        return svg
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
