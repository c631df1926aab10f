extension Duration {
    /// The duration in seconds, as a `Double` (what timings print and compare).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
