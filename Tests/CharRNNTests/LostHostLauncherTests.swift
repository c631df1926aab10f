@testable import CharRNN
import Foundation
import XCTest

/// The watcher a sweep that lost ranks leaves behind: it ends a launcher that outlives the grace
/// period, and leaves one that ends by itself alone.
final class LostHostLauncherTests: XCTestCase {
    func testALauncherStillRunningAfterTheGraceIsEnded() throws {
        let launcher = try Self.start(seconds: 30)
        let started = Date()
        let watcher = try XCTUnwrap(LostHostLauncher.watch(launcher: launcher.processIdentifier, graceSeconds: 1))
        launcher.waitUntilExit()
        XCTAssertEqual(launcher.terminationReason, .uncaughtSignal)
        XCTAssertEqual(launcher.terminationStatus, SIGTERM)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.9, "not before the grace period")
        XCTAssertEqual(Self.exitStatus(of: watcher), 0)
    }

    func testALauncherThatEndsByItselfIsLeftAloneAndTheWatcherGoes() throws {
        let launcher = try Self.start(seconds: 0.3)
        let watcher = try XCTUnwrap(LostHostLauncher.watch(launcher: launcher.processIdentifier, graceSeconds: 20))
        launcher.waitUntilExit()
        XCTAssertEqual(launcher.terminationReason, .exit)
        XCTAssertEqual(launcher.terminationStatus, 0)
        // The watcher notices within a tenth of a second, long before its 20 s.
        let started = Date()
        XCTAssertEqual(Self.exitStatus(of: watcher), 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    private static func start(seconds: Double) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = [String(seconds)]
        try process.run()
        return process
    }

    private static func exitStatus(of pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xff
    }
}
