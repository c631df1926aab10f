import Foundation

/// Where a sweep's trial runs: a process of this one (`LocalTrialSlot`), or an MPI rank working for
/// the sweep (`RankTrialSlot`). The scheduler starts a trial in a free slot and polls it.
protocol TrialSlot: AnyObject {
    /// Whether the slot can take trials (a rank that died cannot).
    var isUsable: Bool { get }
    func start(arguments: [String], log: String) throws
    /// The trial's ending, once it has ended: its exit code, or `nil` when the slot was lost with it.
    func poll() -> TrialEnding?
    func interrupt()
}

enum TrialEnding {
    case exited(Int32)
    /// The rank running it went away (`because` says how: it stopped answering, or it was stopped
    /// by a signal of its own); the trial is to be run again.
    case lost(because: String)
}

/// A trial as a child process of the sweep.
final class LocalTrialSlot: TrialSlot {
    let executable: String
    private var process: ChildProcess?

    init(executable: String) { self.executable = executable }

    var isUsable: Bool { true }

    func start(arguments: [String], log: String) throws {
        process = try ChildProcess(executable: executable, arguments: arguments, logPath: log)
    }

    func poll() -> TrialEnding? {
        guard let process, process.poll() else { return nil }
        self.process = nil
        return .exited(process.exitCode ?? 1)
    }

    func interrupt() { process?.interrupt() }
}

/// The files through which the ranks of `mpirun -np N charnn sweep …` work together, in the sweep's
/// folder (shared by every rank: one machine, or a shared filesystem): rank 0 schedules and writes
/// `mpi/assign-R.json`; rank R runs that trial, writes `mpi/result-R.json` and touches `mpi/alive-R`
/// while it works. No MPI call is made, so a rank that dies takes only its running trial with it
/// (`mpirun --enable-recovery` keeps the others running): rank 0 sees its heartbeat go stale and runs
/// the trial again elsewhere.
struct SweepMailbox {
    let folder: String
    /// Seconds without a heartbeat after which a rank counts as dead (`CHARNN_SWEEP_STALE_SECONDS`
    /// shortens it for tests).
    static let staleAfter = ProcessInfo.processInfo.environment["CHARNN_SWEEP_STALE_SECONDS"].flatMap(Double.init) ?? 10

    init(sweepFolder: String) { folder = (sweepFolder as NSString).appendingPathComponent("mpi") }

    func path(_ name: String, rank: Int) -> String { (folder as NSString).appendingPathComponent("\(name)-\(rank)") }
    var finishedPath: String { (folder as NSString).appendingPathComponent("finished") }

    struct Assignment: Codable { var arguments: [String]; var log: String }
    /// `stoppedBySignal`: the rank itself was told to stop (SIGINT or SIGTERM that rank 0 did not
    /// send, as Open MPI sends when the rank's host loses its link), so the trial ended with it and
    /// is not the trial's failure. Absent in results of earlier versions.
    struct Result: Codable { var exitCode: Int32; var stoppedBySignal: Int32? = nil }

    func write<T: Encodable>(_ value: T, to path: String) throws {
        try AtomicFile.write(Array(try JSONEncoder().encode(value)), to: path)
    }

    func read<T: Decodable>(_ type: T.Type, from path: String) -> T? {
        FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(type, from: $0) }
    }

    func touch(_ path: String) {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        } else {
            utimes(path, nil)
        }
    }

    /// Seconds since `path` was last touched (infinity when it does not exist).
    func age(_ path: String) -> Double {
        var status = stat()
        guard stat(path, &status) == 0 else { return .infinity }
        let modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) * 1e-9
        return Date().timeIntervalSince1970 - modified
    }
}

/// A trial run by another rank, through the mailbox.
final class RankTrialSlot: TrialSlot {
    let rank: Int
    let mailbox: SweepMailbox
    private var started: Date?
    private(set) var isUsable = true

    init(rank: Int, mailbox: SweepMailbox) {
        self.rank = rank
        self.mailbox = mailbox
    }

    func start(arguments: [String], log: String) throws {
        try mailbox.write(SweepMailbox.Assignment(arguments: arguments, log: log), to: mailbox.path("assign", rank: rank))
        started = Date()
    }

    func poll() -> TrialEnding? {
        let resultPath = mailbox.path("result", rank: rank)
        if let result = mailbox.read(SweepMailbox.Result.self, from: resultPath) {
            unlink(resultPath)
            started = nil
            if let signal = result.stoppedBySignal {
                isUsable = false  // the worker ends after reporting
                return .lost(because: "was stopped by signal \(signal) (its trial saved)")
            }
            return .exited(result.exitCode)
        }
        // A rank gets a grace period to notice its assignment before its silence counts.
        guard let started, Date().timeIntervalSince(started) > SweepMailbox.staleAfter,
              mailbox.age(mailbox.path("alive", rank: rank)) > SweepMailbox.staleAfter else { return nil }
        isUsable = false
        self.started = nil
        unlink(mailbox.path("assign", rank: rank))
        return .lost(because: "stopped answering")
    }

    func interrupt() { mailbox.touch(mailbox.path("interrupt", rank: rank)) }
}

/// A rank other than 0 of an MPI sweep: runs the trials rank 0 assigns it until the sweep ends,
/// rank 0 goes silent, or a signal arrives (then its running trial saves and stops).
public struct SweepWorker {
    let mailbox: SweepMailbox
    let rank: Int
    let executable: String

    public init(sweepFolder: String, rank: Int, executable: String) {
        mailbox = SweepMailbox(sweepFolder: sweepFolder)
        self.rank = rank
        self.executable = executable
    }

    /// Returns when the sweep has finished; throws when rank 0 never started or went silent.
    public func run() throws {
        let alive = mailbox.path("alive", rank: rank), assignment = mailbox.path("assign", rank: rank)
        let start = Date()
        while !FileManager.default.fileExists(atPath: mailbox.folder) {  // rank 0 makes the folder
            if Date().timeIntervalSince(start) > 6 * SweepMailbox.staleAfter { throw SweepError.schedulerSilent(folder: mailbox.folder) }
            usleep(100_000)
        }
        try? String(getpid()).write(toFile: mailbox.path("pid", rank: rank), atomically: true, encoding: .utf8)
        while true {
            mailbox.touch(alive)
            if FileManager.default.fileExists(atPath: mailbox.finishedPath) {
                mailbox.touch(mailbox.path("ended", rank: rank))  // rank 0 counts this rank as not lost
                return
            }
            if Interruption.pendingSignal != 0 { return }
            if let job = mailbox.read(SweepMailbox.Assignment.self, from: assignment) {
                unlink(assignment)
                let slot = LocalTrialSlot(executable: executable)
                try slot.start(arguments: job.arguments, log: job.log)
                var interrupted = false
                // A signal to this rank (rather than rank 0's interrupt file) stops the trial with
                // the rank: reported as such, so rank 0 runs it again elsewhere from its save.
                var stoppedBySignal: Int32?
                while true {
                    mailbox.touch(alive)
                    let requested = FileManager.default.fileExists(atPath: mailbox.path("interrupt", rank: rank))
                    if !interrupted, Interruption.pendingSignal != 0 || requested {
                        unlink(mailbox.path("interrupt", rank: rank))
                        if !requested { stoppedBySignal = Interruption.pendingSignal }
                        slot.interrupt()
                        interrupted = true
                    }
                    if case .exited(let code)? = slot.poll() {
                        try mailbox.write(SweepMailbox.Result(exitCode: code, stoppedBySignal: stoppedBySignal),
                                          to: mailbox.path("result", rank: rank))
                        break
                    }
                    usleep(100_000)
                }
                if stoppedBySignal != nil { return }
                continue
            }
            let scheduler = mailbox.age(mailbox.path("alive", rank: 0))
            if scheduler > 3 * SweepMailbox.staleAfter, Date().timeIntervalSince(start) > 3 * SweepMailbox.staleAfter {
                throw SweepError.schedulerSilent(folder: mailbox.folder)
            }
            usleep(100_000)
        }
    }
}
