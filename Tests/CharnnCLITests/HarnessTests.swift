import Foundation
import XCTest

/// The harness runs the binary of this very build, and reports how processes end.
final class HarnessTests: CLITestCase {
    func testTheBinaryComesFromThisBuild() throws {
        guard ProcessInfo.processInfo.environment["CHARNN_BINARY"] == nil else {
            throw XCTSkip("CHARNN_BINARY chooses the binary")
        }
        let binaryFolder = URL(fileURLWithPath: sandbox.binary).deletingLastPathComponent()
            .resolvingSymlinksInPath().standardizedFileURL.path
        let testFolders = [URL(fileURLWithPath: CommandLine.arguments[0]), Bundle.main.bundleURL]
            .flatMap { [$0, $0.deletingLastPathComponent()] }
            .map { $0.resolvingSymlinksInPath().standardizedFileURL.path }
        let bundles = Bundle.allBundles.filter { $0.bundlePath.hasSuffix(".xctest") }
            .map { $0.bundleURL.deletingLastPathComponent().resolvingSymlinksInPath().standardizedFileURL.path }
        XCTAssertTrue((testFolders + bundles).contains(binaryFolder),
                      "\(sandbox.binary) is not beside the test bundle (\(testFolders + bundles))")
    }

    func testHelpAndEndings() throws {
        let help = try sandbox.run(["--help"])
        assertSuccess(help)
        for command in ["train", "sample", "eval", "info", "export"] {
            XCTAssertTrue(help.out.contains(command), "--help lacks \(command)")
        }
        let signalled = try sandbox.shell("kill -TERM $$")
        XCTAssertEqual(signalled.ending, .signalled(SIGTERM))
        let exited = try sandbox.shell("exit 3")
        XCTAssertEqual(exited.ending, .exited(3))
    }
}
