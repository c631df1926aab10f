import Foundation

/// The packed recurrent kernels alone (`charnn bench --mode kernels`): one replica's per-step shapes
/// on one thread, the same step repeated so that panels and state stay in cache. What the kernels
/// themselves reach, an upper bound for what training gets from them; set beside one core's FMA
/// peak measured in the same run.
public enum RecurrentKernelBench {
    public struct Rates: Sendable {
        /// Rows of one replica: the batch's streams over the threads, rounded up.
        public var rows: Int
        /// GFLOP/s of the fused forward step (product and cell) and of backward's dh_{t−1} product.
        public var step, backward: Double
        /// One core's FMA peak, measured between the two (the fastest of several short runs).
        public var peak: Double
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Measures the kernels at the settings' cell, hidden width and per-replica rows.
    public static func rates(_ s: Benchmark.Settings) throws -> Rates {
        let config = s.config
        let (H, G) = (config.hiddenSize, config.cell.gateCount)
        guard RecurrentKernels.path != .generic else {
            throw Unavailable(description: "--mode kernels measures charnn's packed recurrent kernels, and this run "
                              + "uses the generic path (no AVX2 + FMA, or CHARNN_KERNELS=generic); unset CHARNN_KERNELS "
                              + "on an AVX2 CPU")
        }
        guard PackedRecurrentKernels<Float>.isUsed(hidden: H, steps: 8) else {
            throw Unavailable(description: "--hidden \(H): the packed kernels need a multiple of 16 units; choose one")
        }
        let rows = (s.batch + s.threads - 1) / s.threads
        let buffers = Buffers(rows: rows, hidden: H, gates: G, seed: s.seed)
        defer { buffers.deallocate() }
        let weights = buffers.weights, panels = buffers.panels

        guard let forwardPanels = config.cell.forwardPanels(variant: config.gruVariant) else {
            throw Unavailable(description: "--cell \(config.cell.rawValue) has no fused step kernel; measure it with "
                              + "--mode train")
        }
        forwardPanels.pack(weights, hidden: H, into: panels)
        let operands = PackedStepOperands(gates: buffers.gates, rows: rows, hidden: H, hPrev: buffers.hPrev,
                                          panels: panels, cPrev: buffers.cPrev, cNext: buffers.cNext,
                                          biasHH: buffers.bias, recurrent: buffers.recurrent, hNext: buffers.hNext)
        let forward = { _ = config.cell.packedStep(operands, variant: config.gruVariant) }
        let flops = 2.0 * Double(rows * G * H * H)
        let step = bestRate(flops: flops, forward)

        // The fastest of several short runs (`FMAPeak.fastest`), as the kernels' rates are their fastest trials.
        let peak = FMAPeak.fastest(threads: 1)

        // Backward: dh_{t−1} = dG · W_hh, weight_hhᵀ packed as the LSTM and GRU reset-after layers pack it.
        // Reset-before splits this product in two (W_hn, then W_h[r,z]); its shape here is the one product.
        PackedRecurrentKernels.packBackward(weights, hidden: H, depth: G * H, into: panels)
        let backward = bestRate(flops: flops) {
            PackedRecurrentKernels.backwardProduct(buffers.gates, rows: rows, depth: G * H, lda: G * H, panels: panels,
                                                   hidden: H, into: buffers.hNext, ldc: H, accumulate: false)
        }
        return Rates(rows: rows, step: step, backward: backward, peak: peak)
    }

    /// GFLOP/s of the fastest of 30 trials of about 5 ms each: on a shared machine the fastest trial
    /// is the one least disturbed by other processes.
    private static func bestRate(flops: Double, _ body: () -> Void) -> Double {
        body()
        var repetitions = 1
        while true {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<repetitions { body() }
            if Double(DispatchTime.now().uptimeNanoseconds - start) > 5e6 { break }
            repetitions *= 2
        }
        var best = Double.infinity
        for _ in 0..<30 {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<repetitions { body() }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return flops * Double(repetitions) / best / 1e9
    }

    /// The operands of one step, with small random values (the cells keep them bounded when the
    /// step repeats on its own output).
    private struct Buffers {
        let weights, panels, gates, hPrev, cPrev, cNext, hNext, bias, recurrent: UnsafeMutablePointer<Float>
        private let all: [UnsafeMutablePointer<Float>]

        init(rows: Int, hidden H: Int, gates G: Int, seed: UInt64) {
            var generator = SplitMix64(seed: seed)
            func filled(_ count: Int) -> UnsafeMutablePointer<Float> {
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
                for i in 0..<count { buffer[i] = Float(Int(generator.next() % 2001) - 1000) / 20_000 }
                return buffer
            }
            weights = filled(G * H * H)
            panels = filled(G * H * H)
            gates = filled(rows * G * H)
            hPrev = filled(rows * H)
            cPrev = filled(rows * H)
            cNext = filled(rows * H)
            hNext = filled(rows * H)
            bias = filled(G * H)
            recurrent = filled(rows * H)
            all = [weights, panels, gates, hPrev, cPrev, cNext, hNext, bias, recurrent]
        }

        func deallocate() { all.forEach { $0.deallocate() } }
    }
}
