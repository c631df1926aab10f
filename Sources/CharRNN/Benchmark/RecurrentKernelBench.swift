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
        /// The window's large products of a layer above the first, over one replica's rows·seq rows,
        /// GFLOP/s on charnn's panels (the weights packed, then the product, as a window would need)
        /// and with OpenBLAS's sgemm, which training uses for them: the input projection
        /// Z = X · W_ihᵀ and the input gradient dX = dZ · W_ih.
        public var projection, projectionSGEMM, inputGradient, inputGradientSGEMM: Double
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
        let window = windowRates(rows: rows * s.seq, inputs: H, outputs: G * H, seed: s.seed)
        return Rates(rows: rows, step: step, backward: backward, peak: peak, projection: window.projection,
                     projectionSGEMM: window.projectionSGEMM, inputGradient: window.inputGradient,
                     inputGradientSGEMM: window.inputGradientSGEMM)
    }

    /// A window's input projection and input gradient both ways, on operands of a whole window's
    /// size, as in training (not one step's, which stay in cache).
    private static func windowRates(rows: Int, inputs D: Int, outputs G: Int, seed: UInt64)
        -> (projection: Double, projectionSGEMM: Double, inputGradient: Double, inputGradientSGEMM: Double) {
        var generator = SplitMix64(seed: seed ^ 0x9E37_79B9)
        let x = filled(rows * D, spread: 1000, &generator), z = filled(rows * G, spread: 1000, &generator)
        let w = filled(G * D, spread: 20_000, &generator)
        let panels = UnsafeMutablePointer<Float>.allocate(capacity: G * D)  // packed before every read
        defer { [x, z, w, panels].forEach { $0.deallocate() } }
        let flops = 2.0 * Double(rows * D * G)
        // One thread, as each replica's OpenBLAS in training; `charnn bench` sets its count per mode.
        setBLASThreadCount(1)
        let blocks = PackedRecurrentKernels<Float>.rowsBlocks(rows: G)!
        let packed = PackedRows(panels: panels, hidden: G / blocks, depth: D)
        let projection = bestRate(flops: flops, trials: 8) {
            PackedRecurrentKernels.packRows(w, into: packed, blocks: blocks)
            PackedRecurrentKernels.rowsProduct(x, rows: rows, lda: D, packed: packed, blocks: blocks, into: z, ldc: G,
                                               accumulate: true)
        }
        let projectionSGEMM = bestRate(flops: flops, trials: 8) {
            Float.gemm(transA: false, transB: true, m: rows, n: G, k: D, alpha: 1, a: x, lda: D, b: w, ldb: D, beta: 1,
                       c: z, ldc: G)
        }
        // dX = dZ · W_ih: W_ih (G, D) is the (depth, H) matrix backward's product packs transposed.
        let inputGradient = bestRate(flops: flops, trials: 8) {
            PackedRecurrentKernels.packBackward(w, hidden: D, depth: G, into: panels)
            PackedRecurrentKernels.backwardProduct(z, rows: rows, depth: G, lda: G, panels: panels, hidden: D, into: x,
                                                   ldc: D, accumulate: false)
        }
        let inputGradientSGEMM = bestRate(flops: flops, trials: 8) {
            Float.gemm(transA: false, transB: false, m: rows, n: D, k: G, alpha: 1, a: z, lda: G, b: w, ldb: D, beta: 0,
                       c: x, ldc: D)
        }
        return (projection, projectionSGEMM, inputGradient, inputGradientSGEMM)
    }

    /// GFLOP/s of the fastest of `trials` trials of about 5 ms or more each: on a shared machine the
    /// fastest trial is the one least disturbed by other processes.
    private static func bestRate(flops: Double, trials: Int = 30, _ body: () -> Void) -> Double {
        body()
        var repetitions = 1
        while true {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<repetitions { body() }
            if Double(DispatchTime.now().uptimeNanoseconds - start) > 5e6 { break }
            repetitions *= 2
        }
        var best = Double.infinity
        for _ in 0..<trials {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<repetitions { body() }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return flops * Double(repetitions) / best / 1e9
    }

    /// `count` values k / spread for random integers k in −1000…1000.
    private static func filled(_ count: Int, spread: Float, _ generator: inout SplitMix64) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        for i in 0..<count { buffer[i] = Float(Int(generator.next() % 2001) - 1000) / spread }
        return buffer
    }

    /// The operands of one step, with small random values (the cells keep them bounded when the
    /// step repeats on its own output).
    private struct Buffers {
        let weights, panels, gates, hPrev, cPrev, cNext, hNext, bias, recurrent: UnsafeMutablePointer<Float>
        private let all: [UnsafeMutablePointer<Float>]

        init(rows: Int, hidden H: Int, gates G: Int, seed: UInt64) {
            var generator = SplitMix64(seed: seed)
            func filled(_ count: Int) -> UnsafeMutablePointer<Float> {
                RecurrentKernelBench.filled(count, spread: 20_000, &generator)
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
