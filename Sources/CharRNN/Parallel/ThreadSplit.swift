/// How a training step uses its threads. When the streams divide evenly, each thread is a replica
/// that runs forward and backward on its share of the streams with a single-threaded OpenBLAS (the
/// replicas meet once per step, to sum gradients); otherwise one network runs every stream and
/// OpenBLAS splits its products over the threads.
///
/// Chosen over two alternatives by measurement (Zen 4, `charnn bench`, 2026-12-06): splitting each
/// step's gate columns between the cores with a barrier per step ran at the replicas' rate, and a
/// layer wavefront (core ℓ runs layer ℓ at step t while core ℓ+1 runs layer ℓ+1 at t−1, all streams
/// on each) could only win if a step of every stream ran faster per FLOP than a step of half of them:
/// the recurrent kernels measured alone do not (`bench --mode kernels`, GFLOP/s at half and at all
/// of the batch's rows: S 95.6 / 95.6, M 97.8–104.0 / 103.6–104.4, L 108.4–108.8 / 108.9–109.2),
/// before the wavefront's barrier per step, and three layers do not divide over two cores.
public enum ThreadSplit: Equatable {
    case replicas(count: Int, streamsEach: Int)
    case sharedProducts(threads: Int)

    public init(streams: Int, threads: Int) {
        self = threads > 1 && streams % threads == 0
            ? .replicas(count: threads, streamsEach: streams / threads) : .sharedProducts(threads: threads)
    }

    public var replicaCount: Int {
        if case .replicas(let count, _) = self { return count }
        return 1
    }

    /// OpenBLAS's threads: one per replica, or all of them for one network's products.
    public var blasThreads: Int {
        switch self {
        case .replicas: return 1
        case .sharedProducts(let threads): return threads
        }
    }

    /// What `charnn bench` prints: "2 replicas × 25 streams", "OpenBLAS on 2 threads".
    public var description: String {
        switch self {
        case .replicas(let count, let each): return "\(count) replicas × \(each) streams"
        case .sharedProducts(let threads): return threads == 1 ? "one thread" : "OpenBLAS on \(threads) threads (streams do not divide)"
        }
    }
}
