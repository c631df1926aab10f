import Foundation

/// Throughput measurements with the PyTorch peer's model and flags (`scripts/peer`): training
/// steps on random ids, batch-1 sampling, and tokenizer speed.
public enum Benchmark {
    public struct Settings: Sendable {
        public var config: ModelConfig
        public var batch = 50
        public var seq = 50
        public var steps = 15
        public var warmup = 3
        public var threads = 2
        public var sampleLength = 2000
        public var sampleRepetitions = 3
        public var temperature = 0.8
        public var seed: UInt64 = 1234
        /// The precision of the weights sampling reads.
        public var weights = WeightPrecision.f32
        public init(config: ModelConfig) { self.config = config }
    }

    /// Useful matrix FLOPs of one training step, counted as the peer script counts them: the gate
    /// GEMMs of every layer and the decoder, forward ×3 for forward plus backward (dX and dW).
    public static func trainingFLOPs(_ s: Settings) -> Double {
        let c = s.config
        let rows = Double(s.batch * s.seq), G = Double(c.cell.gateCount), H = Double(c.hiddenSize)
        var forward = 0.0
        for k in 0..<c.layerCount {
            forward += 2 * rows * (Double(c.inputSize(ofLayer: k)) + H) * G * H
        }
        forward += 2 * rows * H * Double(c.vocabularySize)
        return 3 * forward
    }

    /// Seconds per training step of `s`'s model and window (`timeTrainingSteps`).
    public static func trainingStepSeconds(_ s: Settings, group: ProcessGroup = .single) -> (wall: [Double], cpu: [Double]) {
        timeTrainingSteps(config: s.config, batch: s.batch, seq: s.seq, steps: s.steps, warmup: s.warmup,
                          threads: s.threads, seed: s.seed, group: group)
    }


    /// GFLOP/s of OpenBLAS's `sgemm` at the step's recurrent shape, (B × H) · (H × G·H), measured here.
    public static func recurrentGEMMRate(_ s: Settings) -> Double {
        setBLASThreadCount(s.threads)
        let (B, H, G) = (s.batch, s.config.hiddenSize, s.config.cell.gateCount)
        let a = [Float](repeating: 0.01, count: B * H), w = [Float](repeating: 0.02, count: G * H * H)
        var c = [Float](repeating: 0, count: B * G * H)
        let flops = 2.0 * Double(B * H * G * H)
        let repetitions = max(10, Int(2e9 / flops))
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<repetitions {
                Float.gemm(transA: false, transB: true, m: B, n: G * H, k: H, alpha: 1, a: a, lda: H,
                           b: w, ldb: H, beta: 1, c: &c, ldc: G * H)
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return flops * Double(repetitions) / best / 1e9
    }

    /// A generator over the settings' model with random weights.
    private static func randomGenerator(_ s: Settings) -> TextGenerator {
        let model = CharRNNModel<Float>(config: s.config, seed: s.seed)
        // Any V distinct scalars in increasing order serve as the vocabulary of random weights.
        let symbols = (0..<s.config.vocabularySize).map { String(UnicodeScalar(UInt32(0x4E00 + $0))!) }
        return TextGenerator(model: model, vocabulary: try! Vocabulary(symbols: symbols, tokenization: .scalars),
                             normalization: .none, weights: s.weights, threads: s.threads)
    }

    /// Characters per second of priming with `length` random ids, one per repetition: in windows
    /// (`TextGenerator.prime`), and one step per character (`feed`) over the first 100,000.
    public static func primingRates(_ s: Settings, length: Int) -> (windowed: [Double], stepwise: [Double]) {
        setBLASThreadCount(s.threads)
        let generator = randomGenerator(s)
        var random = SplitMix64(seed: s.seed)
        let ids = (0..<length).map { _ in Int32(random.next() % UInt64(s.config.vocabularySize)) }
        var windowed: [Double] = [], stepwise: [Double] = []
        for _ in 0..<s.sampleRepetitions {
            var start = DispatchTime.now().uptimeNanoseconds
            generator.prime(ids)
            windowed.append(Double(length) / (Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9))
            let steps = min(length, 100_000)
            start = DispatchTime.now().uptimeNanoseconds
            generator.reset()
            for id in ids.prefix(steps) { generator.feed(id) }
            stepwise.append(Double(steps) / (Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9))
        }
        return (windowed, stepwise)
    }

    /// Characters per second of batch-1 generation at the settings' temperature, one per repetition,
    /// and how each character's step ran (`TextGenerator.stepName`).
    public static func samplingRates(_ s: Settings) -> (rates: [Double], step: String) {
        setBLASThreadCount(s.threads)
        let generator = randomGenerator(s)
        var picker = TokenPicker(vocabularySize: s.config.vocabularySize, temperature: s.temperature)
        var random = SplitMix64(seed: s.seed)
        var rates: [Double] = []
        for _ in 0..<s.sampleRepetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            generator.reset()
            generator.feed(0)
            for _ in 0..<s.sampleLength {
                generator.feed(picker.pick(logits: generator.logits, using: &random))
            }
            rates.append(Double(s.sampleLength) / (Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9))
        }
        return (rates, generator.stepName)
    }

    /// Characters per second of the serving batcher's step alone (`ContinuousBatcher`): one step of
    /// `batch` streams through a network of fixed weights (`UnrolledNetwork.fixedWeights`), the
    /// fastest of `sampleRepetitions` timings of `sampleLength` steps; no picking, no HTTP.
    public static func servingStepRates(_ s: Settings) -> [Double] {
        setBLASThreadCount(s.threads)
        let model = CharRNNModel<Float>(config: s.config, seed: s.seed)
        let network = UnrolledNetwork(model: model, batchSize: s.batch, steps: 1, withGradients: false,
                                      fixedWeights: true, splittingSteps: TextGenerator.splitsSteps(threads: s.threads))
        if network.splitsSteps { setBLASThreadCount(1) }
        var random = SplitMix64(seed: s.seed)
        var rates: [Double] = []
        network.computeLogits()
        for _ in 0..<s.sampleRepetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<s.sampleLength {
                for row in 0..<s.batch { network.inputs[row] = Int32(random.next() % UInt64(s.config.vocabularySize)) }
                network.computeLogits()
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            rates.append(Double(s.sampleLength * s.batch) / seconds)
        }
        return rates
    }

    /// MB/s of reading and tokenising `path` in chunks (median of `repetitions`).
    public static func encodingRates(path: String, tokenization: Tokenization, normalization: Normalization,
                                     repetitions: Int = 5) throws(DataError) -> (rates: [Double], bytes: Int) {
        var rates: [Double] = []
        var size = 0
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            let corpus = try Corpus.load(path: path, tokenization: tokenization, normalization: normalization)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            size = corpus.byteCount
            rates.append(Double(size) / 1e6 / seconds)
        }
        return (rates, size)
    }

    /// Peak resident set size of this process, in MB.
    public static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
