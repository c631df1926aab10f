/// How one stream samples: the same settings as `charnn sample`'s flags, plus the alternatives to
/// report per character and the stop texts of the OpenAI API (which, unlike `--stop`, are left
/// out of the text returned).
public struct GenerationSettings: Sendable, Equatable {
    /// Characters to generate at most.
    public var length: Int
    public var temperature: Double
    public var topK: Int
    public var topP: Double
    /// Seed of the stream's own SplitMix64, as `charnn sample --seed`.
    public var seed: UInt64
    /// Texts that end the generation when generated; none of one is returned.
    public var stops: [String]
    /// How many most likely alternatives to report with each character; 0 reports none.
    public var alternatives: Int

    public init(length: Int, temperature: Double = 0.8, topK: Int = 0, topP: Double = 1, seed: UInt64,
                stops: [String] = [], alternatives: Int = 0) {
        self.length = length
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.stops = stops
        self.alternatives = alternatives
    }
}
