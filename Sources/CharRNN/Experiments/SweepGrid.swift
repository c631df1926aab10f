/// The configurations a sweep tries: the product of every listed flag's values, in the order the
/// flags were given (the last flag varies fastest), or `samples` distinct draws from it.
public struct SweepGrid: Equatable, Sendable, Codable {
    /// `charnn train` flags without their dashes, each with its values as written.
    public var axes: [Axis]

    public struct Axis: Equatable, Sendable, Codable {
        public var flag: String
        public var values: [String]
        public init(flag: String, values: [String]) {
            self.flag = flag
            self.values = values
        }
    }

    public init(axes: [Axis]) { self.axes = axes }

    public var size: Int { axes.reduce(1) { $0 * $1.values.count } }

    /// Configuration `index` of the product, as `--flag value` pairs.
    public func configuration(_ index: Int) -> [String] {
        var rest = index, values = [String](repeating: "", count: axes.count)
        for a in axes.indices.reversed() {
            values[a] = axes[a].values[rest % axes[a].values.count]
            rest /= axes[a].values.count
        }
        return axes.indices.flatMap { ["--" + axes[$0].flag, values[$0]] }
    }

    /// Every configuration, or `samples` distinct ones drawn with `seed` (in grid order).
    public func configurations(samples: Int?, seed: UInt64) -> [[String]] {
        guard let samples, samples < size else { return (0..<size).map(configuration) }
        var indices = Array(0..<size)
        var random = SplitMix64(seed: seed)
        for i in 0..<samples {  // a partial Fisher–Yates shuffle
            let j = i + Int(random.next() % UInt64(size - i))
            indices.swapAt(i, j)
        }
        return indices.prefix(samples).sorted().map(configuration)
    }
}
