import Foundation

/// The arithmetic limit of this CPU: register-only loops of fused multiply-adds on 12 independent
/// accumulators (no memory traffic), one per thread, all at once. Throughput figures are reported
/// as a fraction of it, so a figure says how close charnn runs to what the hardware can do.
public enum FMAPeak {
    /// The widest loop this CPU runs: AVX-512, AVX2 + FMA, or SSE (multiply and add) otherwise.
    public static var bestLevel: InstructionSetLevel { InstructionSets.current.peakLevel }

    /// The ISA of the loop `level` runs: AVX without FMA runs the SSE loop.
    public static func loopName(_ level: InstructionSetLevel) -> String {
        level >= .avx2 ? level.name : InstructionSetLevel.sse.name
    }

    /// The fastest of `runs` measurements of about `seconds` each. On a shared machine one run can
    /// fall in a moment when another process holds a core: that run understates the peak and would
    /// overstate every fraction of it (a training run printed `fraction_of_peak 0.91` that way).
    public static func fastest(threads: Int, level: InstructionSetLevel = bestLevel, runs: Int = 8,
                               seconds: Double = 0.05) -> Double {
        let perThread = iterations(level, seconds: seconds)
        return (0..<max(runs, 1)).map { _ in measure(threads: threads, level: level, iterations: perThread) }.max()!
    }

    /// GFLOP/s of `threads` threads running the `level` loop at once for about `seconds`.
    public static func gflops(threads: Int, level: InstructionSetLevel = bestLevel, seconds: Double = 0.25) -> Double {
        measure(threads: threads, level: level, iterations: iterations(level, seconds: seconds))
    }

    /// Iterations of the `level` loop that take one thread about `seconds`, timed on this thread.
    private static func iterations(_ level: InstructionSetLevel, seconds: Double) -> Int64 {
        var sink: Float = 0
        var iterations: Int64 = 1 << 16
        var elapsed = 0.0
        while true {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = run(level, iterations, &sink)
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            if elapsed > 0.02 { break }
            iterations *= 4
        }
        return Int64(Double(iterations) * seconds / elapsed)
    }

    /// GFLOP/s of `threads` threads each running `iterations` of the `level` loop at once.
    private static func measure(threads: Int, level: InstructionSetLevel, iterations perThread: Int64) -> Double {
        let slots = Slots(count: threads)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            slots.flops[t] = run(level, perThread, slots.sinks + t)
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        return slots.flops.reduce(0, +) / wall / 1e9
    }

    private static func run(_ level: InstructionSetLevel, _ iterations: Int64, _ sink: UnsafeMutablePointer<Float>) -> Double {
        InstructionSets.fmaLoop(level)(iterations, sink)
    }

    /// One result slot per thread, each written by its own thread only.
    private final class Slots: @unchecked Sendable {
        let flops: UnsafeMutableBufferPointer<Double>
        let sinks: UnsafeMutablePointer<Float>
        init(count: Int) {
            flops = .allocate(capacity: count)
            flops.initialize(repeating: 0)
            sinks = .allocate(capacity: count)
            sinks.initialize(repeating: 0, count: count)
        }
        deinit {
            flops.deallocate()
            sinks.deallocate()
        }
    }
}
