/// Which characters of each source file are held out for validation. File i, of nᵢ characters,
/// holds out its last
///
///     hᵢ = ⌊f · nᵢ⌋                         (f = `fraction`, as `--val-frac`)
///     hᵢ ← ⌊hᵢ · limit / Σⱼ hⱼ⌋             when Σⱼ hⱼ > limit (`--val-chars`)
///
/// so every file is represented in validation in proportion to its size, and the validation text
/// never exceeds `limit`; what a limit releases is trained on.
public struct Holdout: Equatable, Sendable {
    public var fraction: Double
    /// At most this many characters in all; nil: no bound.
    public var limit: Int?

    /// Nothing held out: the whole text trains.
    public static let none = Holdout(fraction: 0)

    public init(fraction: Double, limit: Int? = nil) {
        precondition(fraction >= 0 && fraction < 1, "validation fraction \(fraction) must lie in [0, 1)")
        precondition((limit ?? 0) >= 0, "validation limit \(limit!) must not be negative")
        self.fraction = fraction
        self.limit = limit
    }

    /// hᵢ for files of `characters` characters each.
    public func counts(characters: [Int]) -> [Int] {
        // ⌊f·n⌋ in Double, as Python's int(0.29 * 100) = 28.
        let wanted = characters.map { Int((fraction * Double($0)).rounded(.down)) }
        let total = wanted.reduce(0, +)
        guard let limit, total > limit else { return wanted }
        // hᵢ·limit can pass 2⁶³ for gigabyte corpora: multiply and divide in full width.
        return wanted.map { total.dividingFullWidth($0.multipliedFullWidth(by: limit)).quotient }
    }
}
