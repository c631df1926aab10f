/// The synthetic text of the long-range memory probe: lines in which one character has to be carried
/// across a gap of `D` characters. Every line is
///
///     K f₁ f₂ … f_D = K ⏎
///
/// - `K`, the key: one of the 8 capital letters `A`…`H`, drawn uniformly;
/// - `f₁ … f_D`, the filler: `D` small letters from `a`…`p` (16), each drawn uniformly and
///   independently of everything else, so it says nothing about the key;
/// - `=`, the marker, then the key again, then a line break.
///
/// The repeated key is the only character that depends on anything further back than its own
/// line's previous character: the first key and the filler cannot be predicted at all, the marker
/// and the line break follow from the line's length. So how often a model's most likely next
/// character after `=` is the line's key measures its memory across the gap and nothing else; a
/// model without that memory is right 1 time in 8 (chance).
///
/// The text depends on the gap, the line count and the seed only (SplitMix64; one draw per key and
/// per filler character, in text order).
public struct LongRangeText: Sendable {
    public static let keys: [UInt8] = Array("ABCDEFGH".utf8)
    public static let filler: [UInt8] = Array("abcdefghijklmnop".utf8)
    public static let marker = UInt8(ascii: "=")

    /// The fraction of recalls a model without memory gets right: 1 / keys.
    public static var chance: Double { 1 / Double(keys.count) }

    /// Characters per line: key, `gap` filler characters, marker, key, line break.
    public static func lineLength(gap: Int) -> Int { gap + 4 }

    public let gap: Int
    /// The text, ASCII: one byte per character.
    public let text: [UInt8]
    /// One site per line: the repeated key (target) and the key at the start of the line (cue).
    public let sites: [RecallSite]

    public init(gap: Int, lineCount: Int, seed: UInt64) {
        precondition(gap >= 0 && lineCount >= 0, "gap \(gap) and line count \(lineCount) must not be negative")
        self.gap = gap
        let length = Self.lineLength(gap: gap)
        var generator = SplitMix64(seed: seed)
        var text = [UInt8](), sites = [RecallSite]()
        text.reserveCapacity(lineCount * length)
        sites.reserveCapacity(lineCount)
        for _ in 0..<lineCount {
            let start = text.count
            let key = Self.keys[Int(generator.next() % UInt64(Self.keys.count))]
            text.append(key)
            for _ in 0..<gap { text.append(Self.filler[Int(generator.next() % UInt64(Self.filler.count))]) }
            text.append(Self.marker)
            sites.append(RecallSite(cue: start, target: text.count))
            text.append(key)
            text.append(UInt8(ascii: "\n"))
        }
        self.text = text
        self.sites = sites
    }
}
