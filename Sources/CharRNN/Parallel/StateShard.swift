/// One rank's rows of the carried state. A checkpoint holds the state of all `batch` streams,
/// (blocks, batch, H) with blocks = L·directions; the rank training `streams` holds
/// (blocks, streams.count, H) of it.
struct StateShard {
    let blocks: Int
    let hiddenSize: Int
    let batch: Int
    let streams: Range<Int>

    init(config: ModelConfig, batch: Int, streams: Range<Int>) {
        blocks = config.layerCount * config.directionCount
        hiddenSize = config.hiddenSize
        self.batch = batch
        self.streams = streams
    }

    /// This rank's rows of a state saved for all streams; empty when `full` has another shape.
    func take(from full: [Float]) -> [Float] {
        let H = hiddenSize
        guard full.count == blocks * batch * H else { return [] }
        var local = [Float](repeating: 0, count: blocks * streams.count * H)
        for block in 0..<blocks {
            for (row, b) in streams.enumerated() {
                for j in 0..<H { local[(block * streams.count + row) * H + j] = full[(block * batch + b) * H + j] }
            }
        }
        return local
    }

    /// The state of all streams, assembled from every rank's rows (collective: every rank calls it).
    func gather(_ local: [Float], over group: ProcessGroup) -> [Float] {
        guard group.size > 1 else { return local }
        let H = hiddenSize
        var full = [Float](repeating: 0, count: blocks * batch * H)
        for block in 0..<blocks {
            for (row, b) in streams.enumerated() {
                for j in 0..<H { full[(block * batch + b) * H + j] = local[(block * streams.count + row) * H + j] }
            }
        }
        group.sum(&full)
        return full
    }
}
