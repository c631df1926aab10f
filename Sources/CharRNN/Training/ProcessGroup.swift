import CMPI
import Foundation

/// The processes that train one model together: one process on its own, or the ranks of an MPI job
/// (`mpirun -np N charnn train …`). Every collective is a blocking `MPI_Allreduce`.
public final class ProcessGroup: Sendable {
    public let rank: Int
    public let size: Int
    private let usesMPI: Bool

    /// A process alone.
    public static let single = ProcessGroup(rank: 0, size: 1, usesMPI: false)

    private init(rank: Int, size: Int, usesMPI: Bool) {
        self.rank = rank
        self.size = size
        self.usesMPI = usesMPI
    }

    /// The MPI job this process was started in by `mpirun`, or `single` when it was started on its own.
    /// MPI is only initialised under a launcher, so a plain run never touches it.
    public static func fromEnvironment() -> ProcessGroup {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil else { return .single }
        guard charnn_mpi_init() == 0 else { return .single }
        return ProcessGroup(rank: Int(charnn_mpi_rank()), size: Int(charnn_mpi_size()), usesMPI: true)
    }

    public var isLeader: Bool { rank == 0 }

    /// Element-wise sum over ranks, in place.
    public func sum(_ values: UnsafeMutableBufferPointer<Float>) {
        guard usesMPI, size > 1 else { return }
        _ = charnn_mpi_sum_floats(values.baseAddress, Int32(values.count))
    }

    /// The sum of one value over ranks (no allocation).
    public func sum(_ value: Double) -> Double {
        guard usesMPI, size > 1 else { return value }
        var total = value
        _ = charnn_mpi_sum_doubles(&total, 1)
        return total
    }

    /// The largest of one value over ranks (no allocation).
    public func max(_ value: Double) -> Double {
        guard usesMPI, size > 1 else { return value }
        var largest = value
        _ = charnn_mpi_max_doubles(&largest, 1)
        return largest
    }

    public func sum(_ values: inout [Double]) {
        guard usesMPI, size > 1 else { return }
        _ = values.withUnsafeMutableBufferPointer { charnn_mpi_sum_doubles($0.baseAddress, Int32($0.count)) }
    }

    /// Whether `value` is the same on every rank.
    public func agree(_ value: UInt64) -> Bool {
        guard usesMPI, size > 1 else { return true }
        var smallest: UInt64 = 0, largest: UInt64 = 0
        _ = charnn_mpi_min_max_u64(value, &smallest, &largest)
        return smallest == largest
    }

    public func finish() {
        if usesMPI, charnn_mpi_initialized() != 0 { _ = charnn_mpi_finalize() }
    }

    /// Ends every rank of the job (after an error on one of them).
    public func abort(code: Int32) {
        if usesMPI { charnn_mpi_abort(code) }
    }
}
