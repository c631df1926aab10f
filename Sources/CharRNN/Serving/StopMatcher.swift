/// Holds back generated characters that could be the start of a stop text, so that a stop text is
/// never sent, even in part, while everything that cannot belong to one goes out at once.
///
/// A stop text is searched for only where it could first appear: ending at the newest character.
/// At most (longest stop − 1) bytes are held at any time.
struct StopMatcher {
    private let stops: [[UInt8]]
    /// Characters not yet released: their bytes and what goes with them.
    private var held: [(bytes: [UInt8], logprob: CharacterLogprob?)] = []

    init(stops: [String]) {
        self.stops = stops.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    /// Adds the character `id`; appends what may be released now to `text` (UTF-8) and `logprobs`,
    /// and returns whether a stop text just ended. Without stop texts the character goes straight
    /// to `text`, with no array of its own.
    mutating func append(_ id: Int32, logprob: CharacterLogprob?, vocabulary: Vocabulary,
                         releasingInto text: inout [UInt8], _ logprobs: inout [CharacterLogprob]) -> Bool {
        if stops.isEmpty {
            vocabulary.appendUTF8(of: id, to: &text)
            if let logprob { logprobs.append(logprob) }
            return false
        }
        var bytes: [UInt8] = []
        vocabulary.appendUTF8(of: id, to: &bytes)
        held.append((bytes, logprob))
        let joined = held.flatMap(\.bytes)
        for stop in stops where joined.count >= stop.count && joined.suffix(stop.count).elementsEqual(stop) {
            // Release the characters wholly before the stop text; drop the rest.
            let stopStart = joined.count - stop.count
            var count = 0, offset = 0
            for piece in held {
                if offset + piece.bytes.count > stopStart { break }
                count += 1
                offset += piece.bytes.count
            }
            release(count, into: &text, &logprobs)
            held.removeAll()
            return true
        }
        // Keep the shortest tail that is still a prefix of some stop text.
        var start = 0, offset = 0
        while start < held.count {
            let tail = joined[offset...]
            if stops.contains(where: { $0.count > tail.count && $0.starts(with: tail) }) { break }
            offset += held[start].bytes.count
            start += 1
        }
        release(start, into: &text, &logprobs)
        held.removeFirst(start)
        return false
    }

    /// Releases everything still held (the generation ended without a stop text).
    mutating func flush(into text: inout [UInt8], _ logprobs: inout [CharacterLogprob]) {
        release(held.count, into: &text, &logprobs)
        held.removeAll()
    }

    /// Appends the first `count` held characters to `text` and `logprobs`.
    private func release(_ count: Int, into text: inout [UInt8], _ logprobs: inout [CharacterLogprob]) {
        for piece in held.prefix(count) {
            text += piece.bytes
            if let logprob = piece.logprob { logprobs.append(logprob) }
        }
    }
}
