import Foundation

/// `loss.svg`: training and validation bits per character against the step, as a self-contained
/// SVG with labelled axes that any browser shows.
enum LossPlot {
    static func svg(rows: [MetricsRow], title: String) -> String {
        let width = 720.0, height = 420.0
        let left = 70.0, right = 20.0, top = 40.0, bottom = 55.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let bits = 1 / Foundation.log(2.0)
        let training = rows.map { (Double($0.step), $0.trainingLoss * bits) }
        let validation = rows.compactMap { row in row.validationLoss.map { (Double(row.step), $0 * bits) } }
        let all = training + validation
        let maxStep = max(all.map(\.0).max() ?? 1, 1)
        let minStep = min(all.map(\.0).min() ?? 0, maxStep - 1)
        var low = all.map(\.1).min() ?? 0, high = all.map(\.1).max() ?? 1
        if high - low < 1e-3 { low -= 0.5; high += 0.5 }
        let pad = (high - low) * 0.05
        low = max(0, low - pad); high += pad

        func x(_ step: Double) -> Double { left + (step - minStep) / (maxStep - minStep) * plotWidth }
        func y(_ value: Double) -> Double { top + (high - value) / (high - low) * plotHeight }
        func polyline(_ points: [(Double, Double)], color: String) -> String {
            guard !points.isEmpty else { return "" }
            let coordinates = points.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
            let dots = points.count == 1
                ? String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", x(points[0].0), y(points[0].1), color)
                : ""
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" points=\"\(coordinates)\"/>\(dots)\n"
        }

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>

        """
        for i in 0...5 {
            let value = low + (high - low) * Double(i) / 5
            let yy = y(value)
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, yy, left + plotWidth, yy)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n", left - 6, yy + 4, value)
            let step = minStep + (maxStep - minStep) * Double(i) / 5
            let xx = x(step)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", xx, top + plotHeight + 18, step)
        }
        svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n",
                      left, top, plotWidth, plotHeight)
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">training step</text>\n"
        svg += "<text transform=\"translate(18,\(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\">loss (bits per character)</text>\n"
        svg += polyline(training, color: "#1f77b4")
        svg += polyline(validation, color: "#d62728")
        svg += "<line x1=\"\(left + plotWidth - 150)\" y1=\"\(top + 16)\" x2=\"\(left + plotWidth - 125)\" y2=\"\(top + 16)\" stroke=\"#1f77b4\" stroke-width=\"2\"/>"
        svg += "<text x=\"\(left + plotWidth - 120)\" y=\"\(top + 20)\">training (smoothed)</text>\n"
        svg += "<line x1=\"\(left + plotWidth - 150)\" y1=\"\(top + 34)\" x2=\"\(left + plotWidth - 125)\" y2=\"\(top + 34)\" stroke=\"#d62728\" stroke-width=\"2\"/>"
        svg += "<text x=\"\(left + plotWidth - 120)\" y=\"\(top + 38)\">validation</text>\n"
        svg += "</svg>\n"
        return svg
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
