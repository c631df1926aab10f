import Foundation

/// The training networks of one process: its share of the B streams, split further over
/// `networks.count` replicas that run forward and backward at the same time on their own threads
/// (OpenBLAS single-threaded in each). The gradient of a step is the mean of the replicas' (each is
/// the gradient of its streams' mean loss, and the shares are equal), so a step equals a single
/// network's over the same streams up to float summation order; dropout masks are keyed by global
/// stream, so they do not depend on the split either.
///
/// Each replica after the first has a gradient buffer of its own, added to the model's at the end;
/// except for large models whose cell `defersWeightGradients` (the LSTM, from
/// `gradientSharingParameters` on): there the replicas first go back through the window writing no
/// gradient, then thread r adds every replica's contribution to its `GradientShare` of each
/// tensor's rows, straight into the model's gradients. At L (3×512, 5.4 M parameters) that saves the
/// 21.7 MB buffer at no measurable cost in speed; at M (2×256) it saved 3.6 MB and cost 3–5% of the
/// speed (`charnn bench`, Zen 4, alternating runs), the dW products reading back a dG no longer in
/// cache, so smaller models keep the buffer.
///
/// Two cores spent on two small GEMMs each beat two threads spent inside every small GEMM: at 2 × 128
/// hidden units OpenBLAS gains little from a second thread.
public final class StreamReplicas: @unchecked Sendable {
    public let model: CharRNNModel<Float>
    public let networks: [UnrolledNetwork<Float>]
    /// This process's streams, as global indices; replica r takes the r-th equal block of them.
    public let streams: Range<Int>
    private let extraGradients: [UnsafeMutableBufferPointer<Float>]
    /// Whether the replicas sum their weight gradients in shares (no buffers of their own).
    public let sharesGradients: Bool
    /// What the worker threads run when started, when they share the gradients: the window, or
    /// their share of the weight gradients.
    private var summingShares = false
    /// From this many parameters on, replicas of a cell that defers its weight gradients share one buffer.
    public static let gradientSharingParameters = 4_000_000
    /// One thread per replica after the first, which runs on the caller's thread.
    private var threads: [WorkerThread] = []
    /// One slot per replica, each written by its own thread only.
    private let losses: UnsafeMutableBufferPointer<Double>

    /// `sharingGradients` overrides the choice of `sharesGradients` (the tests compare both ways).
    public init(model: CharRNNModel<Float>, streams: Range<Int>, totalStreams: Int, steps: Int, replicaCount: Int,
                sharingGradients: Bool? = nil) {
        precondition(replicaCount >= 1 && streams.count % replicaCount == 0,
                     "\(streams.count) streams cannot be split over \(replicaCount) replicas")
        self.model = model
        self.streams = streams
        let share = streams.count / replicaCount
        sharesGradients = replicaCount > 1 && model.config.cell.defersWeightGradients
            && sharingGradients ?? (model.parameterCount >= Self.gradientSharingParameters)
        var extra: [UnsafeMutableBufferPointer<Float>] = []
        var networks: [UnrolledNetwork<Float>] = []
        for r in 0..<replicaCount {
            var gradients: UnsafeMutableBufferPointer<Float>?
            if r > 0, !sharesGradients {
                let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: model.parameterCount)
                buffer.initialize(repeating: 0)
                extra.append(buffer)
                gradients = buffer
            }
            let network = UnrolledNetwork(model: model, batchSize: share, steps: steps, gradients: gradients)
            network.streamOffset = streams.lowerBound + r * share
            network.totalStreams = totalStreams
            networks.append(network)
        }
        self.networks = networks
        extraGradients = extra
        losses = .allocate(capacity: replicaCount)
        losses.initialize(repeating: 0)
        // Each worker's job is built once: a step only signals it.
        threads = (1..<replicaCount).map { replica in
            WorkerThread { [unowned self] in
                let network = self.networks[replica]
                if self.summingShares {
                    self.addShare(replica)
                } else if self.sharesGradients {
                    self.losses[replica] = network.forward(training: true)
                    network.backward(deferringWeightGradients: true)
                } else {
                    self.extraGradients[replica - 1].update(repeating: 0)
                    self.losses[replica] = network.forward(training: true)
                    network.backward()
                }
            }
        }
    }

    deinit {
        threads.forEach { $0.stop() }
        extraGradients.forEach { $0.deallocate() }
        losses.deallocate()
    }

    // Plain loops in the per-step path: no closure contexts, in any build.
    public func resetState() {
        for r in networks.indices { networks[r].resetState() }
    }

    public var dropoutSeed: UInt64 {
        get { networks[0].dropoutSeed }
        set { for r in networks.indices { networks[r].dropoutSeed = newValue } }
    }

    public var lockedDropout: Bool {
        get { networks[0].lockedDropout }
        set { for r in networks.indices { networks[r].lockedDropout = newValue } }
    }

    /// DropConnect on `weight_hh` for each window (`--weight-dropout`); nil: off.
    public var recurrentDropConnect: WeightDropout<Float>?
    /// Whole embedding rows dropped for each window (`--embed-dropout`); nil: off.
    public var embeddingDropout: WeightDropout<Float>?

    public var dropoutCounter: UInt64 {
        get { networks[0].dropoutCounter }
        set { for r in networks.indices { networks[r].dropoutCounter = newValue } }
    }

    /// Forward and backward on every replica at once; the model's gradients end as their mean.
    /// Returns the mean loss over this process's positions.
    func forwardBackward() -> Double {
        // One weight mask per window, keyed like the dropout masks: every replica and rank reads it.
        recurrentDropConnect?.mask(window: dropoutCounter, seed: dropoutSeed ^ 0x5851_F42D_4C95_7F2D)
        embeddingDropout?.mask(window: dropoutCounter, seed: dropoutSeed ^ 0x2545_F491_4F6C_DD1D)
        summingShares = false
        for w in threads.indices { threads[w].start() }
        model.zeroGradients()
        losses[0] = networks[0].forward(training: true)
        networks[0].backward(deferringWeightGradients: sharesGradients)
        for w in threads.indices { threads[w].wait() }
        var total = losses[0]
        if sharesGradients {
            summingShares = true
            for w in threads.indices { threads[w].start() }
            addShare(0)
            for w in threads.indices { threads[w].wait() }
        }
        if !threads.isEmpty {
            let gradients = model.gradients
            for e in extraGradients.indices {
                let buffer = extraGradients[e]
                for i in gradients.indices { gradients[i] += buffer[i] }
            }
            let scale = 1 / Float(networks.count)
            for i in gradients.indices { gradients[i] *= scale }
            for r in 1..<losses.count { total += losses[r] }
        }
        recurrentDropConnect?.unmask(gradients: model.gradients)
        embeddingDropout?.unmask(gradients: model.gradients)
        return total / Double(networks.count)
    }

    /// Thread `index`'s share of every replica's weight gradients, added replica by replica (so the
    /// sums do not depend on which thread gets there first).
    private func addShare(_ index: Int) {
        let share = GradientShare(index: index, count: networks.count)
        for r in networks.indices { networks[r].accumulateWeightGradients(share: share) }
    }

    /// The carried state of this process's streams, (L·directions, share, H) for `h` or `c`.
    func exportState(cell: Bool) -> [Float] {
        let H = model.config.hiddenSize, blocks = model.config.layerCount * model.config.directionCount
        let share = networks[0].batchSize
        var out = [Float](repeating: 0, count: blocks * streams.count * H)
        for (r, network) in networks.enumerated() {
            let state = cell ? network.stateC : network.stateH
            for block in 0..<blocks {
                for row in 0..<share {
                    for j in 0..<H {
                        out[(block * streams.count + r * share + row) * H + j] = state[(block * share + row) * H + j]
                    }
                }
            }
        }
        return out
    }

    /// Sets the carried state from (L·directions, share, H) values, as `exportState` gives them.
    func importState(_ values: [Float], cell: Bool) {
        let H = model.config.hiddenSize, blocks = model.config.layerCount * model.config.directionCount
        let share = networks[0].batchSize
        guard values.count == blocks * streams.count * H else { return }
        for (r, network) in networks.enumerated() {
            let state = cell ? network.stateC : network.stateH
            for block in 0..<blocks {
                for row in 0..<share {
                    for j in 0..<H {
                        state[(block * share + row) * H + j] = values[(block * streams.count + r * share + row) * H + j]
                    }
                }
            }
        }
    }
}
