import Foundation

/// Line charts as self-contained SVG with labelled axes and a legend, readable in any browser:
/// `loss.svg` (training and validation bits per character against the step) and `compare.svg`.
enum CurvePlot {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]

    /// `loss.svg` of one run.
    static func lossSVG(rows: [MetricsRow], title: String) -> String {
        let bits = 1 / Foundation.log(2.0)
        let training = rows.map { (Double($0.step), $0.trainingLoss * bits) }
        let validation = rows.compactMap { row in row.validationLoss.map { (Double(row.step), $0 * bits) } }
        return svg(curves: [("training (smoothed)", training), ("validation", validation)], title: title,
                   xLabel: "training step", yLabel: "loss (bits per character)")
    }

    static func svg(curves: [(label: String, points: [(Double, Double)])], title: String,
                    xLabel: String, yLabel: String) -> String {
        let width = 720.0, height = 420.0
        let left = 70.0, right = 20.0, top = 40.0, bottom = 55.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let all = curves.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
        var xHigh = all.map(\.0).max() ?? 1
        var xLow = all.map(\.0).min() ?? 0
        if xHigh - xLow < 1e-9 { xLow -= 1; xHigh += 1 }
        var low = all.map(\.1).min() ?? 0, high = all.map(\.1).max() ?? 1
        if high - low < 1e-3 { low -= 0.5; high += 0.5 }
        let pad = (high - low) * 0.05
        low = max(0, low - pad); high += pad

        func x(_ value: Double) -> Double { left + (value - xLow) / (xHigh - xLow) * plotWidth }
        func y(_ value: Double) -> Double { top + (high - value) / (high - low) * plotHeight }

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
            let tick = xLow + (xHigh - xLow) * Double(i) / 5
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", x(tick), top + plotHeight + 18, tick)
        }
        svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n",
                      left, top, plotWidth, plotHeight)
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(18,\(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (index, curve) in curves.enumerated() {
            let color = palette[index % palette.count]
            let points = curve.points.filter { $0.0.isFinite && $0.1.isFinite }
            if points.count == 1 {
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>\n", x(points[0].0), y(points[0].1), color)
            } else if !points.isEmpty {
                let coordinates = points.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" points=\"\(coordinates)\"/>\n"
            }
            let legendY = top + 16 + 18 * Double(index)
            svg += "<line x1=\"\(left + plotWidth - 190)\" y1=\"\(legendY)\" x2=\"\(left + plotWidth - 165)\" y2=\"\(legendY)\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            svg += "<text x=\"\(left + plotWidth - 160)\" y=\"\(legendY + 4)\">\(escape(curve.label))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
