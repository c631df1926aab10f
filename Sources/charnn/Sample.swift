import ArgumentParser
import CharRNN
import Foundation

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text from a trained model: sampled, or the likeliest by beam search.",
        discussion: """
        Without --checkpoint: ./checkpoints/ensemble.json (an ensemble: the mean of its members' \
        probabilities), else ./checkpoints/best.safetensors.zst, else ./checkpoints/latest.safetensors.zst.
        A prime given with --prime is printed before each sample; one read with --prime-file or
        --prime - (standard input) is not. --beam prints the --count likeliest continuations found,
        best first. --probs prints JSON lines instead of text, one per generated character:
        {"char": c, "p": p, "top": [[c, p], …]}, p being the model's own probability (temperature 1).
        """)

    @Option(help: "Checkpoint, or an ensemble's ensemble.json, to sample from.") var checkpoint: String?
    @Option(help: "Temperature: below 1 is more conservative, above 1 more surprising; 0 is greedy (argmax). (default: 0.8)")
    var temp: Double?
    @Option(help: "Keep only the K most likely characters at each step; 0 keeps all.") var topK = 0
    @Option(help: "Nucleus sampling: keep the smallest set of likeliest characters whose probability reaches P, in (0, 1].")
    var topP = 1.0
    @Option(help: "Characters to generate per sample.") var length = 1000
    @Option(help: "Text fed to the model first (sets the state) and printed before the sample; - reads it from standard input.")
    var prime: String?
    @Option(help: "File whose text is fed to the model first, any length (not printed).") var primeFile: String?
    @Option(help: "Seed of the sampling stream: the same seed gives the same text. (default: random)") var seed: UInt64?
    @Option(help: "Independent samples, separated by a blank line; with --beam, the best distinct beams.") var count = 1
    @Option(help: "End a sample when this text appears in it.") var stop: String?
    @Option(help: "Beam search with N beams: the likeliest continuation of --length characters instead of a sample.")
    var beam: Int?
    @Option(help: "With --beam: rank finished beams by log-probability / length^A; with --stop, A near 1 undoes the plain sum's preference for short endings. (default: 0)")
    var beamLengthPenalty: Double?
    @Option(help: "Print JSON lines instead of text: for each generated character its probability and the K likeliest characters there.")
    var probs: Int?
    @Option(help: "Threads: 2 splits each character's step with a second thread (f32: its units, 1.4–2.2× one thread's characters per second as measured; f16: its large products); an ensemble's members step on one.") var threads = 1
    @Option(help: "Weight precision: f32 as trained, or f16 (half the memory read per character; the checkpoint stays f32).")
    var weights = WeightPrecision.f32
    @Flag(help: "Drop characters of the prime that the model does not know (with a note) instead of failing.")
    var skipUnknown = false

    static let maximumBeam = 256
    /// Beam search keeps a parent and a character per beam and step: 8 bytes each, 400 MB at this bound.
    static let maximumBeamHistory = 50_000_000

    func validate() throws {
        func require(_ ok: Bool, _ message: String) throws {
            if !ok { throw ValidationError(message) }
        }
        if let temp { try require(temp >= 0 && temp.isFinite, "--temp must be 0 (greedy) or positive, got \(temp)") }
        try require(topK >= 0, "--top-k must be 0 (off) or positive, got \(topK)")
        try require(topP > 0 && topP <= 1, "--top-p must be in (0, 1], got \(topP)")
        try require(length >= 0, "--length must be 0 or positive, got \(length)")
        try require(count >= 1, "--count must be at least 1, got \(count)")
        try require(threads >= 1, "--threads must be at least 1, got \(threads)")
        try require(prime == nil || primeFile == nil, "give --prime or --prime-file, not both")
        if let probs { try require(probs >= 1, "--probs must be at least 1 (characters listed per position), got \(probs)") }
        if let beamLengthPenalty {
            try require(beam != nil, "--beam-length-penalty goes with --beam")
            try require(beamLengthPenalty >= 0 && beamLengthPenalty.isFinite,
                        "--beam-length-penalty must be 0 or positive, got \(beamLengthPenalty)")
        }
        guard let beam else { return }
        try require(beam >= 1 && beam <= Self.maximumBeam, "--beam must be in 1...\(Self.maximumBeam), got \(beam)")
        try require(probs == nil, "--probs reports sampled characters; it does not go with --beam")
        try require(temp == nil && topK == 0 && topP == 1,
                    "beam search is deterministic: --temp, --top-k and --top-p do not go with --beam")
        try require(count <= beam, "--count \(count) asks for more beams than --beam \(beam) keeps")
        try require(beam * length <= Self.maximumBeamHistory,
                    "--beam \(beam) × --length \(length) is more history than beam search keeps "
                        + "(\(Self.maximumBeamHistory) beam-steps); lower one of them")
    }

    func run() throws {
        setBLASThreadCount(threads)
        do {
            let members = try CheckpointDiscovery.languageModels(checkpoint)
            let loaded = members[0]
            if beam != nil, members.count > 1 {
                throw CLIError("--beam searches one model's continuations, and this is an ensemble of \(members.count); "
                               + "pass one member with --checkpoint")
            }
            let generator = TextGenerator(ensemble: members, weights: weights, threads: threads)
            let vocabulary = loaded.vocabulary
            let input = PrimeInput(text: prime, file: primeFile, flag: "--prime")
            let (primeIDs, echo) = try input.read(for: loaded, skipUnknown: skipUnknown)
            generator.prime(primeIDs)
            let primed = generator.saveState()
            let out = OutputStream()
            let stopBytes = Array((stop ?? "").utf8)
            if let beam {
                let search = BeamSearch(model: generator.model, vocabulary: vocabulary, width: beam)
                let found = search.search(from: primed, length: length, count: count, stop: stopBytes,
                                          lengthPenalty: beamLengthPenalty ?? 0)
                for (index, hypothesis) in found.enumerated() {
                    if index > 0 { out.write("\n\n") }
                    out.write(echo + vocabulary.bytes(of: hypothesis.ids))
                }
                out.write("\n")
                return out.flush()
            }
            var picker = TokenPicker(vocabularySize: vocabulary.count, temperature: temp ?? 0.8, topK: topK, topP: topP)
            var random = SplitMix64(seed: seed ?? UInt64.random(in: .min ... .max))
            for index in 0..<count {
                generator.restore(primed)
                if let probs {
                    generator.generate(length: length, picker: &picker, generator: &random, stop: stopBytes) { id, _, logits in
                        let distribution = CharacterDistribution(logits: logits)
                        return out.write(JSONLines.generated(id, probability: distribution.probabilities[Int(id)],
                                                             top: distribution.top(probs), vocabulary: vocabulary,
                                                             sample: count > 1 ? index : nil) + "\n")
                    }
                } else {
                    if index > 0 { out.write("\n\n") }
                    out.write(echo)
                    generator.generate(length: length, picker: &picker, generator: &random, stop: stopBytes) { _, bytes, _ in
                        out.write(bytes)
                    }
                }
                if out.closed { return }
            }
            if probs == nil { out.write("\n") }
            out.flush()
        } catch {
            throw fail(error)
        }
    }
}
