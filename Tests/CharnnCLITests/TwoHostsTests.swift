import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `scripts/two-hosts.sh`: one rank in each of two network namespaces, over TCP on a veth pair,
/// trains like one process. Needs root and a kernel that allows `ip netns add` (CI runs as root);
/// skipped, saying why, elsewhere.
final class TwoHostsTests: CLITestCase {
    static let script = Fixtures.packageRoot.appendingPathComponent("scripts/two-hosts.sh").path

    func testTwoHostsTrainLikeOneProcess() throws {
        try skipUnlessNamespacesWork()
        let steps = 8
        let run = try RunningCommand(executable: "/bin/bash", arguments: [Self.script, "--charnn", sandbox.binary,
                                                                          "--steps", "\(steps)"],
                                     in: sandbox.folder).wait(timeout: 150)
        XCTAssertFalse(run.timedOut, run.summary)
        XCTAssertEqual(run.ending, .exited(0), run.summary)
        XCTAssertTrue(run.err.contains("over veth charnn0"), run.summary)

        // The last line: "two hosts against one process after 8 steps: 1.2e-05 relative (…)".
        let last = run.out.split(separator: "\n").last.map(String.init) ?? ""
        let prefix = "two hosts against one process after \(steps) steps: "
        XCTAssertTrue(last.hasPrefix(prefix), "last line: \(last)\n\(run.summary)")
        let difference = Float(last.dropFirst(prefix.count).split(separator: " ").first ?? "")
        let value = try XCTUnwrap(difference, "no number in the last line: \(last)")
        print("two-hosts.sh: \(last)")
        // The bound DistributedTests uses for 2 ranks on one machine.
        XCTAssertLessThanOrEqual(value, DistributedTests.tolerance, last)

        // The gradients crossed the veth: a megabyte of float32 per step, both ways.
        let kilobytes = run.err.firstMatch(of: /, ([0-9]+) kB over charnn0/).flatMap { Int($0.1) }
        XCTAssertGreaterThan(try XCTUnwrap(kilobytes, run.summary), steps * 900, run.summary)

        // Torn down: no namespace of this run is left.
        let namespaces = try shell("ip netns list")
        let pid = run.err.firstMatch(of: /charnn-h1-([0-9]+)/).map { String($0.1) } ?? "?"
        XCTAssertFalse(namespaces.contains("charnn-h1-\(pid)") || namespaces.contains("charnn-h2-\(pid)"), namespaces)
    }

    /// A sweep across the two hosts under `--enable-recovery`, host 2's link cut 1 s into its first
    /// trial: the sweep finishes, and `mpirun`, which would wait for the lost daemon for good, ends
    /// by rank 0's watcher rather than by the script.
    func testASweepFinishesAfterACutLinkAndMpirunEnds() throws {
        try skipUnlessNamespacesWork()
        let run = try RunningCommand(executable: "/bin/bash", arguments: [Self.script, "--charnn", sandbox.binary,
                                                                          "--sweep", "--budget-steps", "3000"],
                                     in: sandbox.folder).wait(timeout: 240)
        XCTAssertFalse(run.timedOut, run.summary)
        XCTAssertEqual(run.ending, .exited(0), run.summary)
        let last = run.out.split(separator: "\n").last.map(String.init) ?? ""
        print("two-hosts.sh --sweep: \(last)")
        XCTAssertTrue(last.hasPrefix("sweep finished after host 2's link was cut:"), "last line: \(last)\n\(run.summary)")
        XCTAssertTrue(last.contains("winner: trial"), last)
        XCTAssertTrue(last.contains("mpirun exited with"), "mpirun was ended by the script: \(last)")
        XCTAssertTrue(run.err.contains("charnn: note: rank 1 went away during the sweep"), run.summary)
        XCTAssertFalse(run.err.contains("failed (exit"), run.summary)
    }

    /// The script refuses a bad argument with one line and exit 64, before touching the network.
    func testBadArgumentIsOneLine() throws {
        let run = try RunningCommand(executable: "/bin/bash", arguments: [Self.script, "--steps", "many"],
                                     in: sandbox.folder).wait(timeout: 30)
        assertCleanFailure(run, code: 64, mentions: ["--steps"])
    }

    private func skipUnlessNamespacesWork() throws {
        guard getuid() == 0 else { throw XCTSkip("two-hosts.sh needs root for network namespaces; run the suite as root") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip")
        else { throw XCTSkip("no ip command (apt-get install iproute2)") }
        guard DistributedTests.mpirun != nil else { throw XCTSkip("mpirun is not installed (apt-get install openmpi-bin)") }
        let probe = "charnn-probe-\(getpid())"
        let added = try RunningCommand(executable: "/bin/sh", arguments: ["-c", "ip netns add \(probe) && ip netns delete \(probe)"],
                                       in: sandbox.folder).wait(timeout: 20)
        guard added.ending == .exited(0) else {
            throw XCTSkip("this machine does not allow network namespaces (ip netns add: \(added.err.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
    }

    private func shell(_ command: String) throws -> String {
        try RunningCommand(executable: "/bin/sh", arguments: ["-c", command], in: sandbox.folder).wait(timeout: 20).out
    }
}
