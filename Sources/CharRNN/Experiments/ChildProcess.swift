import CProcess
import Foundation

/// A `charnn train` run started by a sweep: spawned in its own process group, so that a terminal's
/// Ctrl-C reaches the sweep alone and the sweep forwards exactly one SIGINT to each trial (a second
/// one would end a trial before it saved). Output goes to a log file; MPI's variables are not passed
/// on, so a sweep under `mpirun` starts plain single-process trials. A trial is told to stop (SIGTERM:
/// it saves and exits) when the process that started it ends, so a killed sweep or rank leaves no
/// trial running on its own (see `stopWithParentIfAsked`).
public final class ChildProcess {
    let pid: pid_t
    private(set) var exitCode: Int32?

    init(executable: String, arguments: [String], logPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let environment = ProcessInfo.processInfo.environment
            .filter { !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_") }
            .map { "\($0.key)=\($0.value)" } + ["\(Self.parentVariable)=\(getpid())"]
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw SweepError.trialNotStarted(executable: executable, reason: String(cString: strerror(status)))
        }
        pid = child
    }

    /// Whether the process has ended (then `exitCode` is set: 128 + N for signal N).
    func poll() -> Bool {
        if exitCode != nil { return true }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return false }
        let signal = status & 0x7f
        exitCode = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return true
    }

    func interrupt() { kill(pid, SIGINT) }

    /// Set in a trial's environment to the pid of the process that started it.
    static let parentVariable = "CHARNN_SWEEP_PARENT"

    /// Call first thing in `main`: a process started by a sweep gets SIGTERM when its parent ends,
    /// and ends at once when the parent has already gone.
    public static func stopWithParentIfAsked() {
        guard let text = getenv(parentVariable), let parent = pid_t(String(cString: text)) else { return }
        if charnn_signal_when_parent_ends(SIGTERM, parent) == 0 { exit(143) }
    }
}
