import Foundation
@testable import CharRNN

/// A fresh folder under the temporary directory, removed by `cleanUp`.
func makeTemporaryFolder() -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("charnn-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A few kilobytes of English-like text from a seeded generator: enough structure to learn from.
func syntheticText(characters: Int, seed: UInt64 = 1) -> String {
    let words = ["the", "king", "shall", "not", "speak", "of", "love", "and", "war", "my", "lord",
                 "to", "be", "or", "night", "come", "hither", "good", "sir", "what", "is", "it"]
    var generator = SplitMix64(seed: seed)
    var text = ""
    while text.unicodeScalars.count < characters {
        let word = words[Int(generator.next() % UInt64(words.count))]
        text += word
        text += generator.next() % 7 == 0 ? ".\n" : " "
    }
    return String(text.unicodeScalars.prefix(characters).map(Character.init))
}

/// Options for a tiny, fast training run on `corpus`.
func tinyOptions(corpus: String, out: String, steps: Int) -> TrainingOptions {
    var options = TrainingOptions(corpusPath: corpus)
    options.layerCount = 2
    options.hiddenSize = 12
    options.embeddingSize = 6
    options.batch = 4
    options.seq = 10
    options.validationFraction = 0.1
    options.budget = .steps(steps)
    options.validationEvery = 5
    options.saveEvery = 0
    options.threads = 1
    options.outputFolder = out
    return options
}

/// A tiny model trained 30 steps on synthetic text: enough to have preferences to sample from.
func trainedCheckpoint() throws -> Checkpoint {
    let folder = makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let corpus = (folder as NSString).appendingPathComponent("corpus.txt")
    try syntheticText(characters: 4000).write(toFile: corpus, atomically: true, encoding: .utf8)
    let trainer = try Trainer(options: tinyOptions(corpus: corpus, out: folder, steps: 30))
    _ = try trainer.run { _ in }
    return trainer.checkpoint()
}

/// Random ids for the window's inputs and targets and, unless `state` is false, a carried state
/// away from zero (so the first step's recurrent product matters too), drawn from `generator`; the
/// same values (Float's) in a Double network.
func fillWindow<Scalar: BLASScalar>(_ network: UnrolledNetwork<Scalar>, _ generator: inout SplitMix64,
                                    state: Bool = true) {
    let V = UInt64(network.model.config.vocabularySize)
    for i in 0..<network.inputs.count {
        network.inputs[i] = Int32(generator.next() % V)
        network.targets[i] = Int32(generator.next() % V)
    }
    guard state else { return }
    for i in 0..<network.stateH.count {
        network.stateH[i] = Scalar(Float(Int(generator.next() % 2001) - 1000) / 1250)
        network.stateC[i] = Scalar(Float(Int(generator.next() % 2001) - 1000) / 500)
    }
}
