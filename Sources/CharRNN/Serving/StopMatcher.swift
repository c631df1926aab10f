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

    /// True without stop texts: every character is released as it comes.
    var watchesNothing: Bool { stops.isEmpty }

    /// Adds a character; returns what may be released now and whether a stop text just ended.
    mutating func append(_ bytes: [UInt8], logprob: CharacterLogprob?)
        -> (released: [(bytes: [UInt8], logprob: CharacterLogprob?)], stopped: Bool) {
        if stops.isEmpty { return ([(bytes, logprob)], false) }
        held.append((bytes, logprob))
        let joined = held.flatMap(\.bytes)
        for stop in stops where joined.count >= stop.count && joined.suffix(stop.count).elementsEqual(stop) {
            // Release the characters wholly before the stop text; drop the rest.
            let stopStart = joined.count - stop.count
            var released: [(bytes: [UInt8], logprob: CharacterLogprob?)] = []
            var offset = 0
            for piece in held {
                if offset + piece.bytes.count > stopStart { break }
                released.append(piece)
                offset += piece.bytes.count
            }
            held.removeAll()
            return (released, true)
        }
        // Keep the shortest tail that is still a prefix of some stop text.
        var start = 0, offset = 0
        while start < held.count {
            let tail = joined[offset...]
            if stops.contains(where: { $0.count > tail.count && $0.starts(with: tail) }) { break }
            offset += held[start].bytes.count
            start += 1
        }
        let released = Array(held[..<start])
        held.removeFirst(start)
        return (released, false)
    }

    /// Everything still held (the generation ended without a stop text).
    mutating func flush() -> [(bytes: [UInt8], logprob: CharacterLogprob?)] {
        defer { held.removeAll() }
        return held
    }
}
