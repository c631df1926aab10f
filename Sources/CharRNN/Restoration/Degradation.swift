import Foundation

/// How each restoration task degrades a text (the model's input), and which originals each degraded
/// character may stand for (what decoding may choose from).
extension TrainingTask {
    /// Input and output share one vocabulary: the corpus's characters and their degraded forms.
    /// Returns it, the corpus's training and validation ids re-expressed in it, and
    /// `degradedForm[id]`: the id of id's degraded form.
    public func prepare(_ corpus: Corpus)
        -> (vocabulary: Vocabulary, training: CorpusIDs, validation: CorpusIDs, degradedForm: [Int32]) {
        let original = corpus.vocabulary
        guard self != .lm, original.tokenization == .scalars else {
            return (original, corpus.training, corpus.validation, (0..<Int32(original.count)).map { $0 })
        }
        let scalars = original.symbols.map { $0.unicodeScalars.first! }
        let all = Set(scalars).union(scalars.map(degrade)).sorted { $0.value < $1.value }
        // The sorted union of valid scalars is a valid vocabulary.
        let vocabulary = try! Vocabulary(symbols: all.map { String($0) }, tokenization: .scalars)
        let degradedForm = degradedForms(vocabulary)
        guard all.count != scalars.count else {
            return (vocabulary, corpus.training, corpus.validation, degradedForm)
        }
        let remap = scalars.map { vocabulary.id(of: $0)! }
        func remapped(_ ids: CorpusIDs) -> CorpusIDs {
            CorpusIDs(ids.lazy.map { remap[Int($0)] }, vocabularySize: vocabulary.count)
        }
        return (vocabulary, remapped(corpus.training), remapped(corpus.validation), degradedForm)
    }

    /// The degraded form of one character: itself for the language model.
    public func degrade(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch self {
        case .lm:
            return scalar
        case .restoreDiacritics:
            switch scalar.value {
            case 0x111: return "d"
            case 0x110: return "D"
            default: break
            }
            let parts = Array(String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars)
            guard let base = parts.first, parts.dropFirst().allSatisfy({ $0.properties.generalCategory == .nonspacingMark })
            else { return scalar }
            return base
        case .restoreCase:
            let lower = Array(String(scalar).lowercased().unicodeScalars)
            return lower.count == 1 ? lower[0] : scalar
        }
    }

    /// `degradedForm[id]`: the id of the degraded form of `id`; itself when that form is not in the vocabulary.
    public func degradedForms(_ vocabulary: Vocabulary) -> [Int32] {
        guard self != .lm, vocabulary.tokenization == .scalars else { return (0..<Int32(vocabulary.count)).map { $0 } }
        return vocabulary.symbols.enumerated().map { id, symbol in
            vocabulary.id(of: degrade(symbol.unicodeScalars.first!)) ?? Int32(id)
        }
    }

    /// For each input id, the output ids whose degraded form it is: what decoding may choose from.
    public static func candidates(degradedForm: [Int32]) -> [[Int32]] {
        var candidates = [[Int32]](repeating: [], count: degradedForm.count)
        for (output, input) in degradedForm.enumerated() { candidates[Int(input)].append(Int32(output)) }
        return candidates
    }
}
