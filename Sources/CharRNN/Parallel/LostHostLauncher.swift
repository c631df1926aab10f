import CProcess
import Foundation

/// Open MPI's `mpirun --enable-recovery` (4.1) waits for good for the daemon of a host whose link it
/// lost, even after every rank it can reach has ended. When a sweep lost ranks, rank 0 leaves a
/// watcher behind that ends the launcher (SIGTERM) if it is still running a grace period after rank 0
/// has ended; a launcher that ends by itself (a rank killed on a host that is still reachable) is left
/// alone.
public enum LostHostLauncher {
    static let launcherNames: Set<String> = ["mpirun", "mpiexec", "orterun", "prterun"]

    /// Starts the watcher when this process's parent is the launcher; returns the line to report.
    public static func endAfterThisRank(lostRanks: [Int], folder: String, graceSeconds: Int = 10) -> String {
        let lost = (lostRanks.count == 1 ? "rank " : "ranks ") + lostRanks.map(String.init).joined(separator: ", ")
        let launcher = getppid()
        let name = (try? String(contentsOfFile: "/proc/\(launcher)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard launcherNames.contains(name), watch(launcher: launcher, graceSeconds: graceSeconds) != nil else {
            return "charnn: note: \(lost) went away during the sweep; the sweep is finished and saved in \(folder). "
                + "If mpirun keeps waiting for a lost host, end it with Ctrl-C"
        }
        return "charnn: note: \(lost) went away during the sweep; the sweep is finished and saved in \(folder). "
            + "\(name) is ended if still running \(graceSeconds) s from now (it waits for a lost host for good)"
    }

    /// Leaves the watcher behind for `launcher`: its pid (a child of this process), or nil.
    static func watch(launcher: pid_t, graceSeconds: Int) -> pid_t? {
        let watcher = charnn_end_launcher_unless_gone(launcher, Int32(graceSeconds))
        return watcher > 0 ? watcher : nil
    }
}
