import Foundation

extension Trainer {
    /// A sample of the model as it is now (temperature 0.8, seeded by the step), reported and appended to
    /// `samples.txt` by the leader.
    func writeSample(report: (TrainingEvent) -> Void) {
        guard group.isLeader, configuration.task == .lm else { return }
        let generator = TextGenerator(model: model, vocabulary: vocabulary, normalization: configuration.normalization)
        var picker = TokenPicker(vocabularySize: vocabulary.count, temperature: 0.8)
        var random = SplitMix64(seed: configuration.seed ^ UInt64(step))
        var bytes: [UInt8] = []
        generator.generate(prime: [], length: options.sampleLength, picker: &picker, generator: &random) {
            bytes.append(contentsOf: $0)
            return true
        }
        let text = String(decoding: bytes, as: UTF8.self)
        report(.sampled(step: step, text: text))
        let path = (options.outputFolder as NSString).appendingPathComponent("samples.txt")
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        if let handle = FileHandle(forWritingAtPath: path) {
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: Data("--- step \(step) ---\n\(text)\n".utf8))
            try? handle.close()
        }
    }
}
