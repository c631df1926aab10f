/// A position in a text whose character is determined by a character far before it: the key
/// repeated after the marker by the long-range probe (its cue is the key at the start of the line),
/// or a closing bracket (its cue is the opening bracket it closes).
///
/// Truncated BPTT with windows of `T` characters can propagate a gradient from `target` back to
/// `cue` only when both fall in one window, which needs `distance ≤ T`: the character at `target`
/// is predicted from the input at `target − 1`, and the inputs of a window span `T` positions.
public struct RecallSite: Equatable, Sendable {
    /// Offset of the character that determines the target.
    public var cue: Int
    /// Offset of the character to predict.
    public var target: Int

    public init(cue: Int, target: Int) {
        precondition(cue >= 0 && cue < target, "a recall site needs 0 ≤ cue < target, got cue \(cue), target \(target)")
        self.cue = cue
        self.target = target
    }

    /// Characters from the cue to the target: `target − cue`.
    public var distance: Int { target - cue }

    /// The sites of `sites` wholly inside the text from `start` on, with offsets counted from `start`:
    /// a held-out part scored on its own sees neither a cue before it nor anything that cue says.
    public static func within(_ sites: [RecallSite], from start: Int) -> [RecallSite] {
        sites.compactMap { site in
            site.cue >= start ? RecallSite(cue: site.cue - start, target: site.target - start) : nil
        }
    }
}
