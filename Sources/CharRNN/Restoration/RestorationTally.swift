/// Character and word accuracy of restoration, next to the copy-the-input baseline.
public struct RestorationAccuracy: Equatable, Sendable {
    public var characterAccuracy: Double
    public var wordAccuracy: Double
    public var copyCharacterAccuracy: Double
    public var copyWordAccuracy: Double
}

/// Counts correct characters and words over streams of positions; a word is a maximal run of
/// non-whitespace characters, correct when every character in it is.
struct RestorationTally {
    private let isSpace: [Bool]
    private var characters = 0, correct = 0, copyCorrect = 0
    private var words = 0, correctWords = 0, copyCorrectWords = 0
    private var inWord: [Bool], wordRight: [Bool], copyWordRight: [Bool]

    init(vocabulary: Vocabulary, streams: Int) {
        isSpace = vocabulary.symbols.map { $0.unicodeScalars.first!.properties.isWhitespace }
        inWord = Array(repeating: false, count: streams)
        wordRight = Array(repeating: true, count: streams)
        copyWordRight = Array(repeating: true, count: streams)
    }

    /// One position of stream `stream`, in text order.
    mutating func add(stream: Int, target: Int32, input: Int32, predicted: Int32) {
        characters += 1
        if predicted == target { correct += 1 }
        if input == target { copyCorrect += 1 }
        if isSpace[Int(target)] {
            closeWord(stream)
        } else {
            inWord[stream] = true
            if predicted != target { wordRight[stream] = false }
            if input != target { copyWordRight[stream] = false }
        }
    }

    private mutating func closeWord(_ stream: Int) {
        guard inWord[stream] else { return }
        words += 1
        if wordRight[stream] { correctWords += 1 }
        if copyWordRight[stream] { copyCorrectWords += 1 }
        (inWord[stream], wordRight[stream], copyWordRight[stream]) = (false, true, true)
    }

    /// Adds the counts of every rank (collective); open words are closed first.
    mutating func merge(over group: ProcessGroup) {
        for stream in inWord.indices { closeWord(stream) }
        var counts = [characters, correct, copyCorrect, words, correctWords, copyCorrectWords].map(Double.init)
        group.sum(&counts)
        (characters, correct, copyCorrect) = (Int(counts[0]), Int(counts[1]), Int(counts[2]))
        (words, correctWords, copyCorrectWords) = (Int(counts[3]), Int(counts[4]), Int(counts[5]))
    }

    mutating func result() -> RestorationAccuracy {
        for stream in inWord.indices { closeWord(stream) }
        let c = Double(max(characters, 1)), w = Double(max(words, 1))
        return RestorationAccuracy(characterAccuracy: Double(correct) / c, wordAccuracy: Double(correctWords) / w,
                                   copyCharacterAccuracy: Double(copyCorrect) / c,
                                   copyWordAccuracy: Double(copyCorrectWords) / w)
    }
}
