import Foundation

/// A progress bar on standard error while a large corpus is read and encoded: drawn only on a
/// terminal and only once `threshold` bytes are involved (the total when known, else what has been
/// read), so small corpora and pipes see nothing.
public final class LoadingBar {
    /// 50 MB: about a quarter of a second of encoding; below it a bar would only flicker.
    public static let defaultThreshold = 50_000_000

    let interactive: Bool
    let threshold: Int
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastDraw: Double = -1
    private var last: LoadingProgress?
    private var shown = false

    public init(interactive: Bool = isatty(STDERR_FILENO) == 1, threshold: Int = LoadingBar.defaultThreshold) {
        self.interactive = interactive
        self.threshold = threshold
        start = clock.now
    }

    private var elapsed: Double { (clock.now - start).inSeconds }

    public func update(_ progress: LoadingProgress) {
        last = progress
        guard interactive, (progress.totalBytes ?? progress.bytesRead) >= threshold else { return }
        let now = elapsed
        guard now - lastDraw >= 0.1 else { return }
        lastDraw = now
        shown = true
        write("\r\u{1B}[K" + line(progress, elapsed: now))
    }

    /// Ends the bar with a line saying what was read, when a bar was drawn.
    public func finish() {
        guard shown, let last else { return }
        let seconds = elapsed
        write("\r\u{1B}[K" + String(format: "read %@ MB in %@ (%.0f MB/s)\n", megabytes(last.bytesRead),
                                    ProgressPrinter.duration(seconds), Double(last.bytesRead) / 1e6 / max(seconds, 1e-9)))
        shown = false
    }

    /// `reading corpus [=========>         ] 45%  450 / 1,000 MB  212 MB/s  ETA 0:03`
    func line(_ progress: LoadingProgress, elapsed: Double) -> String {
        let rate = Double(progress.bytesRead) / max(elapsed, 1e-9)
        let speed = String(format: "%.0f MB/s", rate / 1e6)
        guard let total = progress.totalBytes, total > 0 else {
            return "reading corpus  \(megabytes(progress.bytesRead)) MB  \(speed)"
        }
        let fraction = min(Double(progress.bytesRead) / Double(total), 1)
        let width = 30, filled = Int(fraction * Double(width))
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "")
            + String(repeating: " ", count: max(width - filled - 1, 0))
        let eta = rate > 0 ? ProgressPrinter.duration(Double(total - progress.bytesRead) / rate) : "?"
        return "reading corpus [\(bar)] \(Int(fraction * 100))%  \(megabytes(progress.bytesRead)) / "
            + "\(megabytes(total)) MB  \(speed)  ETA \(eta)"
    }

    private func megabytes(_ bytes: Int) -> String { ProgressPrinter.grouped(bytes / 1_000_000) }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
