import ArgumentParser
import CharRNN
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training, sampling, priming or tokenizer throughput, the recurrent kernels alone, or the FMA peak (flags as the PyTorch peer's).")

    enum Mode: String, ExpressibleByArgument, CaseIterable { case train, sample, serve, prime, encode, peak, kernels }

    @OptionGroup var model: ModelOptions
    @Option(help: "Vocabulary size of the random data.") var vocab = 65
    @Option(help: "Timed training steps (after warm-up).") var steps = 15
    @Option(help: "Untimed warm-up steps.") var warmup = 3
    @Option(help: "Threads, used as train uses them.") var threads = 2
    @Option(help: "What to measure: train, sample, serve (the serving batcher's step of --batch streams alone: no picking, no HTTP), prime, encode, kernels (charnn's recurrent step and backward product alone, one replica's rows on one thread, in cache; and a window's input projection and input gradient on charnn's panels against sgemm), or peak (the FMA limit of one core and of --threads).") var mode = Mode.train
    @Option(help: "Characters per sample (sample mode), steps per timing (serve mode).") var sampleLen = 2000
    @Option(help: "Samples (or primes) to time (sample and prime modes).") var sampleReps = 3
    @Option(help: "Characters of random prime (prime mode).") var primeLen = 1_000_000
    @Option(help: "Weight precision of sampling: f32 or f16 (sample mode).") var weights = WeightPrecision.f32
    @Option(help: "Text to tokenise (encode mode).") var corpus = "corpora/tinyshakespeare.txt"
    @Flag(help: "Tokenise as bytes (encode mode).") var bytes = false
    @Option(help: "Normalisation (encode mode).") var normalize = Normalization.none
    @Flag(help: "Print one JSON object per measurement.") var json = false

    func validate() throws {
        guard vocab >= 2, steps >= 1, warmup >= 0,
              threads >= 1, sampleLen >= 1, sampleReps >= 1, primeLen >= 1 else {
            throw ValidationError("sizes and counts must be positive (--vocab at least 2, --warmup 0 or more)")
        }
    }

    func run() throws {
        let shape = try model.freshRun()
        let config = shape.modelConfig(vocabularySize: vocab)
        let (batch, seq) = (shape.batch, shape.seq)
        var settings = Benchmark.Settings(config: config)
        settings.batch = batch
        settings.seq = seq
        settings.steps = steps
        settings.warmup = warmup
        settings.threads = threads
        settings.sampleLength = sampleLen
        settings.sampleRepetitions = sampleReps
        settings.weights = weights
        // Under `mpirun -np N` training is measured data-parallel; only rank 0 reports.
        let group = mode == .train ? ProcessGroup.fromEnvironment() : .single
        defer { group.finish() }
        guard batch % group.size == 0 else {
            throw ValidationError("--batch \(batch) cannot be split evenly over \(group.size) ranks")
        }
        var result: [String: Any] = ["peer": "charnn", "mode": mode.rawValue, "threads": threads, "ranks": group.size]
        if mode == .train || mode == .sample || mode == .serve || mode == .kernels {
            result.merge(["cell": config.cell.rawValue, "layers": config.layerCount, "hidden": config.hiddenSize,
                          "embed": config.embeddingSize, "vocab": vocab,
                          "batch": batch, "seq": seq,
                          "params": ParameterLayout(settings.config).totalCount]) { $1 }
        }
        switch mode {
        case .train:
            let times = Benchmark.trainingStepSeconds(settings, group: group)
            // The slowest rank sets the pace.
            let median = group.max(times.wall.median)
            let gemm = Benchmark.recurrentGEMMRate(settings)
            let flops = Benchmark.trainingFLOPs(settings)
            result["median_step_ms"] = median * 1e3
            result["thread_split"] = ThreadSplit(streams: batch / group.size, threads: threads).description
            // CPU time per step ÷ threads: what a step would take on cores nobody else uses.
            result["cpu_ms_per_step_per_thread"] = group.max(times.cpu.median) * 1e3 / Double(threads)
            result["chars_per_s"] = Double(batch * seq) / median
            result["gflops"] = flops / median / 1e9
            result["sgemm_gflops"] = gemm
            result["gemm_limit_chars_per_s"] = gemm * 1e9 / (flops / Double(batch * seq))
            // Every rank's threads, each at the peak this machine's cores measure.
            let peak = FMAPeak.fastest(threads: threads) * Double(group.size)
            result["peak_gflops"] = peak
            result["fraction_of_peak"] = flops / median / 1e9 / peak
        case .sample:
            let (rates, step) = Benchmark.samplingRates(settings)
            result["sample_chars_per_s"] = rates.median
            result["sample_step"] = step
            let weightBytes = (weights == .f16 ? 2 : 4) * (ParameterLayout(config).totalCount - vocab * config.embeddingSize)
            result["weight_bytes_per_char"] = weightBytes
            result["weights"] = weights.rawValue
        case .serve:
            result["serve_step_chars_per_s"] = Benchmark.servingStepRates(settings).max()!
        case .peak:
            let level = FMAPeak.bestLevel
            result["peak_isa"] = FMAPeak.loopName(level)
            result["peak_gflops_one_thread"] = FMAPeak.fastest(threads: 1, level: level)
            result["peak_gflops"] = FMAPeak.fastest(threads: threads, level: level)
        case .kernels:
            do {
                let rates = try RecurrentKernelBench.rates(settings)
                result["gru_variant"] = config.gruVariant.rawValue
                result["kernel_rows"] = rates.rows
                result["kernel_step_gflops"] = rates.step
                result["kernel_backward_gflops"] = rates.backward
                result["peak_gflops_one_thread"] = rates.peak
                result["kernel_step_fraction_of_peak"] = rates.step / rates.peak
                result["kernel_backward_fraction_of_peak"] = rates.backward / rates.peak
                result["kernel_projection_gflops"] = rates.projection
                result["kernel_projection_sgemm_gflops"] = rates.projectionSGEMM
                result["kernel_input_gradient_gflops"] = rates.inputGradient
                result["kernel_input_gradient_sgemm_gflops"] = rates.inputGradientSGEMM
            } catch {
                throw fail(error)
            }
        case .prime:
            let rates = Benchmark.primingRates(settings, length: primeLen)
            result["prime_chars"] = primeLen
            result["prime_chars_per_s"] = rates.windowed.median
            result["prime_step_chars_per_s"] = rates.stepwise.median
        case .encode:
            do {
                let (rates, size) = try Benchmark.encodingRates(path: corpus, tokenization: bytes ? .bytes : .scalars,
                                                                normalization: normalize)
                result["corpus"] = corpus
                result["bytes"] = size
                result["encode_mb_per_s"] = rates.median
            } catch {
                throw fail(error)
            }
        }
        result["peak_rss_mb"] = Benchmark.peakResidentMegabytes()
        result.merge(BLASKernels.current.benchFields) { $1 }  // blas_core, blas_core_source, cpu_isa
        result["recurrent_kernels"] = RecurrentKernels.path.rawValue
        guard group.isLeader else { return }
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let width = result.keys.map(\.count).max() ?? 0
            for key in result.keys.sorted() {
                let value = result[key]!
                let text = (value as? Double).map { String(format: "%.2f", $0) } ?? "\(value)"
                print("\(key.padding(toLength: width, withPad: " ", startingAt: 0)) \(text)")
            }
        }
    }
}
