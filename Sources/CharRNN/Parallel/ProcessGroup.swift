import CMPI
import Foundation

/// The processes that train one model together: one process on its own, or the ranks of an MPI job
/// (`mpirun -np N charnn train …`). Every collective is a blocking `MPI_Allreduce`; a collective that
/// fails ends the whole job with a one-line error, since the ranks can no longer agree on anything.
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
        guard charnn_mpi_init() == MPI_SUCCESS else {
            FileHandle.standardError.write(Data("charnn: note: MPI failed to start; training alone\n".utf8))
            return .single
        }
        return ProcessGroup(rank: Int(charnn_mpi_rank()), size: Int(charnn_mpi_size()), usesMPI: true)
    }

    public var isLeader: Bool { rank == 0 }

    private var isDistributed: Bool { usesMPI && size > 1 }

    /// Element-wise sum over ranks, in place (no allocation: the gradients of every step).
    func sum(_ values: UnsafeMutableBufferPointer<Float>) {
        guard isDistributed else { return }
        check(charnn_mpi_sum_floats(values.baseAddress, Int32(values.count)), "sum of \(values.count) floats")
    }

    func sum(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { sum($0) }
    }

    func sum(_ values: inout [Double]) {
        guard isDistributed else { return }
        let count = values.count
        check(values.withUnsafeMutableBufferPointer { charnn_mpi_sum_doubles($0.baseAddress, Int32(count)) },
              "sum of \(count) doubles")
    }

    /// The sum of one value over ranks (no allocation).
    public func sum(_ value: Double) -> Double {
        guard isDistributed else { return value }
        var total = value
        check(charnn_mpi_sum_doubles(&total, 1), "sum")
        return total
    }

    /// The largest of one value over ranks (no allocation).
    public func max(_ value: Double) -> Double {
        guard isDistributed else { return value }
        var largest = value
        check(charnn_mpi_max_doubles(&largest, 1), "maximum")
        return largest
    }

    /// Whether `value` is the same on every rank.
    public func agree(_ value: UInt64) -> Bool {
        guard isDistributed else { return true }
        var smallest: UInt64 = 0, largest: UInt64 = 0
        check(charnn_mpi_min_max_u64(value, &smallest, &largest), "agreement check")
        return smallest == largest
    }

    public func finish() {
        guard usesMPI, charnn_mpi_initialized() != 0 else { return }
        if charnn_mpi_finalize() != MPI_SUCCESS {
            FileHandle.standardError.write(Data("charnn: note: MPI_Finalize failed on rank \(rank)\n".utf8))
        }
    }

    /// Ends every rank of the job (after an error on one of them).
    public func abort(code: Int32) {
        if usesMPI { charnn_mpi_abort(code) }
    }

    private func check(_ status: Int32, _ collective: String) {
        guard status != MPI_SUCCESS else { return }
        FileHandle.standardError.write(Data(
            "charnn: error: MPI \(collective) failed on rank \(rank) of \(size) (code \(status)); the job stops, restart it with --resume\n".utf8))
        abort(code: 1)
    }
}
