import ArgumentParser
import CharRNN
import Foundation

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text from a trained model.",
        discussion: "Without --checkpoint: ./checkpoints/best.safetensors.zst, else ./checkpoints/latest.safetensors.zst.")

    @Option(help: "Checkpoint to sample from.") var checkpoint: String?
    @Option(help: "Temperature: below 1 is more conservative, above 1 more surprising; 0 is greedy (argmax).")
    var temp = 0.8
    @Option(help: "Keep only the K most likely characters at each step; 0 keeps all.") var topK = 0
    @Option(help: "Nucleus sampling: keep the smallest set of likeliest characters whose probability reaches P, in (0, 1].")
    var topP = 1.0
    @Option(help: "Characters to generate per sample.") var length = 1000
    @Option(help: "Text fed to the model first (sets the state) and printed before the sample.") var prime = ""
    @Option(help: "Seed of the sampling stream: the same seed gives the same text. (default: random)") var seed: UInt64?
    @Option(help: "Independent samples, separated by a blank line.") var count = 1
    @Option(help: "End a sample when this text appears in it.") var stop: String?
    @Option(help: "OpenBLAS threads (batch-1 work gains little from more).") var threads = 1
    @Option(help: "Weight precision: f32 as trained, or f16 (half the memory read per character; the checkpoint stays f32).")
    var weights = WeightPrecision.f32
    @Flag(help: "Drop characters of --prime that the model does not know (with a note) instead of failing.")
    var skipUnknown = false

    func validate() throws {
        guard temp >= 0, temp.isFinite else { throw ValidationError("--temp must be 0 (greedy) or positive, got \(temp)") }
        guard topK >= 0 else { throw ValidationError("--top-k must be 0 (off) or positive, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
        guard length >= 0 else { throw ValidationError("--length must be 0 or positive, got \(length)") }
        guard count >= 1 else { throw ValidationError("--count must be at least 1, got \(count)") }
    }

    func run() throws {
        setBLASThreadCount(threads)
        do {
            let loaded = try CheckpointDiscovery.languageModel(checkpoint)
            let generator = TextGenerator(checkpoint: loaded, weights: weights)
            let vocabulary = loaded.vocabulary
            let (primeIDs, unknown) = vocabulary.encode(prime, normalization: loaded.normalization)
            if !unknown.isEmpty {
                let names = Set(unknown).sorted { $0.value < $1.value }.map(describe).joined(separator: ", ")
                guard skipUnknown else {
                    throw CLIError("--prime has characters the model does not know: \(names); "
                                   + "remove them or pass --skip-unknown")
                }
                FileHandle.standardError.write(Data("charnn: note: dropped from --prime: \(names)\n".utf8))
            }
            var picker = TokenPicker(vocabularySize: vocabulary.count, temperature: temp, topK: topK, topP: topP)
            var random = SplitMix64(seed: seed ?? UInt64.random(in: .min ... .max))
            let out = OutputStream()
            let stopBytes = Array((stop ?? "").utf8)
            for index in 0..<count {
                if index > 0 { out.write("\n\n") }
                out.write(vocabulary.bytes(of: primeIDs))
                generator.generate(prime: primeIDs, length: length, picker: &picker, generator: &random,
                                   stop: stopBytes) { out.write($0) }
                if out.closed { return }
            }
            out.write("\n")
            out.flush()
        } catch {
            throw fail(error)
        }
    }

    private func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = "U+" + String(format: "%04X", scalar.value)
        return scalar.properties.isWhitespace || scalar.value < 0x20 ? hex : "'\(scalar)' (\(hex))"
    }
}
