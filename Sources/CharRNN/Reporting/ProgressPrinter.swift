import Foundation

/// Renders training events on standard error: on a terminal one status line rewritten in place,
/// otherwise (CI, a pipe) a plain line every `plainEvery` steps.
public final class ProgressPrinter {
    let interactive: Bool
    let plainEvery: Int
    private var lastDraw = 0.0
    private var lineOpen = false

    public init(interactive: Bool = isatty(STDERR_FILENO) == 1, plainEvery: Int = 50) {
        self.interactive = interactive
        self.plainEvery = max(plainEvery, 1)
    }

    public func handle(_ event: TrainingEvent) {
        switch event {
        case .began(let plan):
            if let choice = plan.budgetChoice { emit("budget: " + choice) }
            let c = plan.config
            let cell = (c.bidirectional ? "bidirectional " : "") + c.cell.label(variant: c.gruVariant)
            var line = "\(cell) \(c.layerCount)×\(c.hiddenSize), embedding \(c.embeddingSize), vocabulary \(c.vocabularySize), "
                + "\(Self.grouped(plan.parameterCount)) parameters; batch \(plan.batch) × seq \(plan.seq), "
                + "\(plan.windowsPerEpoch) steps per epoch; \(Self.grouped(plan.trainingCharacters)) training and "
                + "\(Self.grouped(plan.validationCharacters)) validation characters"
            if !plan.regularisers.isEmpty { line += "; " + plan.regularisers.joined(separator: ", ") }
            if let patience = plan.patience { line += "; stops \(patience)" }
            if let from = plan.resumedFrom { line += "; resuming \(from) at step \(plan.startStep)" }
            line += "; kernels: \(BLASKernels.current.summary), recurrent steps \(RecurrentKernels.path.rawValue)"
            emit(line)
        case .step(let p):
            if interactive {
                let now = p.elapsed
                guard now - lastDraw >= 0.1 || p.step == p.totalSteps else { return }
                lastDraw = now
                write("\r\u{1B}[K" + status(p))
                lineOpen = true
            } else if p.step % plainEvery == 0 {
                emit(status(p))
            }
        case .validated(let step, let loss, let improved, let accuracy, let averaging):
            var line = String(format: "step %d: validation loss %.4f nats/char, %.4f bits/char", step, loss,
                              loss / Foundation.log(2.0))
            if let a = averaging {
                line += a.keepsAverage ? String(format: " (weight average; as trained %.4f)", a.asTrained)
                                       : String(format: " (as trained; weight average %.4f)", a.averaged)
            }
            if let a = accuracy {
                line += String(format: "; characters %.2f%% (copying the input: %.2f%%), words %.2f%% (copying: %.2f%%)",
                               100 * a.characterAccuracy, 100 * a.copyCharacterAccuracy,
                               100 * a.wordAccuracy, 100 * a.copyWordAccuracy)
            }
            emit(line + (improved ? " (best so far)" : ""))
        case .saved:
            break
        case .sampled(let step, let text):
            emit("--- sample at step \(step) ---\n\(text)\n---")
        case .stoppedEarly(let step, let reason):
            emit("stopping at step \(step): \(reason) (--patience); best.safetensors.zst holds the best")
        case .finished(let s):
            var lines = [String(format: "done: %d steps in %@, %@ chars/s", s.steps, Self.duration(s.elapsed),
                                Self.grouped(Int(s.charsPerSecond)))]
            if let best = s.bestValidationLoss {
                lines.append(String(format: "best validation loss %.4f nats/char (%.4f bits/char)", best, best / Foundation.log(2.0)))
            }
            if let bestPath = s.bestPath { lines.append("best checkpoint:   \(bestPath)") }
            lines.append("latest checkpoint: \(s.latestPath)")
            lines.append("metrics: \(s.metricsPath), plot: \(s.plotPath)")
            lines.forEach(emit)
        }
    }

    /// A line of its own.
    public func note(_ line: String) { emit(line) }

    private func status(_ p: StepProgress) -> String {
        let bits = 1 / Foundation.log(2.0)
        var parts = [p.totalSteps.map { "step \(p.step)/\($0)" } ?? "step \(p.step)",
                     String(format: "epoch %.2f", p.epoch),
                     String(format: "loss %.4f (%.3f bpc)", p.smoothedLoss, p.smoothedLoss * bits)]
        if let v = p.lastValidationLoss { parts.append(String(format: "val %.4f (%.3f bpc)", v, v * bits)) }
        parts.append(String(format: "grad-norm %.2f", p.gradientNorm))
        parts.append("\(Self.grouped(Int(p.charsPerSecond))) chars/s")
        parts.append(Self.duration(p.elapsed))
        if let r = p.remaining { parts.append("ETA \(Self.duration(r))") }
        return parts.joined(separator: " | ")
    }

    private func emit(_ line: String) {
        write((lineOpen ? "\r\u{1B}[K" : "") + line + "\n")
        lineOpen = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// 1234567 → "1,234,567".
    static func grouped(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Seconds as m:ss or h:mm:ss.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
