import Foundation

/// A dashed straight line across a plot, labelled: a level (`y`, such as chance) or a position on
/// the x axis (`x`, such as the `--seq` window).
struct PlotReference {
    enum Axis { case x, y }
    var axis: Axis
    var value: Double
    var label: String
}

/// Line charts as self-contained SVG with labelled axes and a legend, readable in any browser:
/// `loss.svg` (training and validation bits per character against the step), `compare.svg` and
/// the probes' accuracy plots (a logarithmic x axis with ticks at the measured values, reference lines).
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

    /// - Parameters:
    ///   - logarithmicX: x positions by their logarithm (every x must then be positive).
    ///   - xTicks: the x values to label; nil: six evenly spaced ones.
    ///   - yRange: the y axis's span; nil: the data's, padded by 5% and never below 0.
    ///   - references: dashed lines, included in the x span.
    ///   - dots: a dot at every point, for curves of a few measurements.
    ///   - legendAbove: the legend in rows between the title and the plot, where no curve can hide it
    ///     (curves that end high on the right would run under the usual top-right legend).
    static func svg(curves: [(label: String, points: [(Double, Double)])], title: String,
                    xLabel: String, yLabel: String, logarithmicX: Bool = false, xTicks: [Double]? = nil,
                    yRange: ClosedRange<Double>? = nil, references: [PlotReference] = [],
                    dots: Bool = false, legendAbove: Bool = false) -> String {
        let width = 720.0, left = 70.0, right = 20.0, bottom = 55.0
        // Above the plot, entries run left to right in rows, each its label's width (about 7 px a
        // character) plus 45 px; otherwise they stack in the plot's top-right corner.
        var legendSpots: [(x: Double, y: Double)] = []
        var rowX = left, rowY = 44.0
        for curve in curves {
            let entryWidth = 45 + 7 * Double(curve.label.count)
            if legendAbove, rowX > left, rowX + entryWidth > width - right { (rowX, rowY) = (left, rowY + 18) }
            legendSpots.append(legendAbove ? (rowX, rowY) : (width - right - 190, 56 + 18 * Double(legendSpots.count)))
            rowX += entryWidth
        }
        let top = legendAbove ? rowY + 16 : 40.0, height = 380 + top
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let all = curves.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite && (!logarithmicX || $0.0 > 0) }
        let xs = all.map(\.0) + references.filter { $0.axis == .x }.map(\.value)
        let scale: (Double) -> Double = logarithmicX ? { Foundation.log($0) } : { $0 }
        var xHigh = xs.map(scale).max() ?? 1
        var xLow = xs.map(scale).min() ?? 0
        if xHigh - xLow < 1e-9 { xLow -= 1; xHigh += 1 }
        if logarithmicX { (xLow, xHigh) = (xLow - 0.05 * (xHigh - xLow), xHigh + 0.05 * (xHigh - xLow)) }
        var low = all.map(\.1).min() ?? 0, high = all.map(\.1).max() ?? 1
        if let yRange {
            (low, high) = (yRange.lowerBound, yRange.upperBound)
        } else {
            if high - low < 1e-3 { low -= 0.5; high += 0.5 }
            let pad = (high - low) * 0.05
            low = max(0, low - pad); high += pad
        }

        func x(_ value: Double) -> Double { left + (scale(value) - xLow) / (xHigh - xLow) * plotWidth }
        func y(_ value: Double) -> Double { top + (high - value) / (high - low) * plotHeight }

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>

        """
        let yFormat = high - low >= 20 ? "%.0f" : "%.2f"
        for i in 0...5 {
            let value = low + (high - low) * Double(i) / 5
            let yy = y(value)
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, yy, left + plotWidth, yy)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">\(yFormat)</text>\n", left - 6, yy + 4, value)
        }
        for tick in xTicks ?? (0...5).map({ xLow + (xHigh - xLow) * Double($0) / 5 }) {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", x(tick), top + plotHeight + 18, tick)
        }
        svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n",
                      left, top, plotWidth, plotHeight)
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(18,\(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for reference in references {
            // A vertical line is labelled at its foot, on the side with room; a horizontal one above its left end.
            let rightHalf = reference.axis == .x && x(reference.value) > left + plotWidth / 2
            let (x1, y1, x2, y2, labelX, labelY) = reference.axis == .x
                ? (x(reference.value), top, x(reference.value), top + plotHeight,
                   x(reference.value) + (rightHalf ? -4 : 4), top + plotHeight - 8)
                : (left, y(reference.value), left + plotWidth, y(reference.value), left + 6, y(reference.value) - 5)
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#777\" stroke-dasharray=\"6,4\"/>", x1, y1, x2, y2)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%@\" fill=\"#555\">", labelX, labelY,
                          rightHalf ? "end" : "start") + escape(reference.label) + "</text>\n"
        }
        for (index, curve) in curves.enumerated() {
            let color = palette[index % palette.count]
            let points = curve.points.filter { $0.0.isFinite && $0.1.isFinite && (!logarithmicX || $0.0 > 0) }
            if points.count == 1 {
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>\n", x(points[0].0), y(points[0].1), color)
            } else if !points.isEmpty {
                let coordinates = points.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" points=\"\(coordinates)\"/>\n"
                if dots {
                    for point in points {
                        svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", x(point.0), y(point.1), color)
                    }
                    svg += "\n"
                }
            }
            let (legendX, legendY) = legendSpots[index]
            svg += "<line x1=\"\(legendX)\" y1=\"\(legendY)\" x2=\"\(legendX + 25)\" y2=\"\(legendY)\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            svg += "<text x=\"\(legendX + 30)\" y=\"\(legendY + 4)\">\(escape(curve.label))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
