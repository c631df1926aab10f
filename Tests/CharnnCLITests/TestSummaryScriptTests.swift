import Foundation
import XCTest

/// scripts/test-summary.sh, which turns XCTest's log into the last line of scripts/test.sh, fed
/// logs of the shapes XCTest prints: one "Executed" line per suite, the whole run's last, with or
/// without "with N tests skipped and".
final class TestSummaryScriptTests: XCTestCase {
    /// The whole run is the last line (5 tests), not the last suite's (3).
    func testRunWithoutSkipsCountsTheWholeRun() throws {
        let log = """
            Test Suite 'All tests' started at 2026-01-01 10:00:00.000
            Test Suite 'charnnPackageTests.xctest' started at 2026-01-01 10:00:00.000
            Test Suite 'ATests' started at 2026-01-01 10:00:00.000
            Test Case 'ATests.testOne' started at 2026-01-01 10:00:00.000
            Test Case 'ATests.testOne' passed (0.001 seconds)
            Test Case 'ATests.testTwo' started at 2026-01-01 10:00:00.001
            Test Case 'ATests.testTwo' passed (0.001 seconds)
            Test Suite 'ATests' passed at 2026-01-01 10:00:00.002
            \t Executed 2 tests, with 0 failures (0 unexpected) in 0.002 (0.002) seconds
            Test Suite 'BTests' started at 2026-01-01 10:00:00.002
            Test Case 'BTests.testOne' passed (0.001 seconds)
            Test Case 'BTests.testTwo' passed (0.001 seconds)
            Test Case 'BTests.testThree' passed (0.001 seconds)
            Test Suite 'BTests' passed at 2026-01-01 10:00:00.005
            \t Executed 3 tests, with 0 failures (0 unexpected) in 0.003 (0.003) seconds
            Test Suite 'charnnPackageTests.xctest' passed at 2026-01-01 10:00:00.005
            \t Executed 5 tests, with 0 failures (0 unexpected) in 0.005 (0.005) seconds
            Test Suite 'All tests' passed at 2026-01-01 10:00:00.005
            \t Executed 5 tests, with 0 failures (0 unexpected) in 0.005 (0.005) seconds

            """
        let result = try summarize(log)
        XCTAssertEqual(result.output, "5 passed, 0 skipped, 0 failed\n")
        XCTAssertEqual(result.status, 0)
    }

    /// "with 2 tests skipped and": the whole run's line has that shape; a grep for the shape without
    /// it finds only the last suite's line (196 tests).
    func testRunWithSkipsCountsThemApart() throws {
        let log = """
            Test Suite 'Selected tests' started at 2026-01-01 10:00:00.000
            Test Suite 'ATests' started at 2026-01-01 10:00:00.000
            /repo/Tests/ATests.swift:8: ATests.testNeedsMPI : Test skipped - mpirun is not installed
            Test Case 'ATests.testNeedsMPI' skipped (0.001 seconds)
            Test Case 'ATests.testNeedsGPU' skipped (0.001 seconds)
            Test Suite 'ATests' passed at 2026-01-01 10:00:00.004
            \t Executed 4 tests, with 2 tests skipped and 0 failures (0 unexpected) in 0.004 (0.004) seconds
            Test Suite 'BTests' started at 2026-01-01 10:00:00.004
            Test Suite 'BTests' passed at 2026-01-01 10:00:01.000
            \t Executed 196 tests, with 0 failures (0 unexpected) in 0.996 (0.996) seconds
            Test Suite 'Selected tests' passed at 2026-01-01 10:00:01.000
            \t Executed 200 tests, with 2 tests skipped and 0 failures (0 unexpected) in 1.000 (1.000) seconds
            """  // no newline after the last line: it still counts
        let result = try summarize(log)
        XCTAssertEqual(result.output, "198 passed, 2 skipped, 0 failed\n")
        XCTAssertEqual(result.status, 0)
    }

    /// One test failing three assertions is one failed test; the run fails.
    func testFailedTestsAreCountedOnceAndFailTheRun() throws {
        let log = """
            Test Suite 'All tests' started at 2026-01-01 10:00:00.000
            Test Suite 'ATests' started at 2026-01-01 10:00:00.000
            Test Case 'ATests.testSkips' skipped (0.001 seconds)
            Test Case 'ATests.testPasses' passed (0.001 seconds)
            Test Suite 'ATests' passed at 2026-01-01 10:00:00.002
            \t Executed 2 tests, with 1 test skipped and 0 failures (0 unexpected) in 0.002 (0.002) seconds
            Test Suite 'BTests' started at 2026-01-01 10:00:00.002
            /repo/Tests/BTests.swift:10: error: BTests.testBreaks : XCTAssertEqual failed: ("1") is not equal to ("2")
            /repo/Tests/BTests.swift:11: error: BTests.testBreaks : XCTAssertEqual failed: ("3") is not equal to ("4")
            /repo/Tests/BTests.swift:12: error: BTests.testBreaks : XCTAssertTrue failed
            Test Case 'BTests.testBreaks' failed (0.001 seconds)
            Test Case 'BTests.testHolds' passed (0.001 seconds)
            Test Case 'BTests.testAlsoHolds' passed (0.001 seconds)
            Test Suite 'BTests' failed at 2026-01-01 10:00:00.005
            \t Executed 3 tests, with 3 failures (0 unexpected) in 0.003 (0.003) seconds
            Test Suite 'All tests' failed at 2026-01-01 10:00:00.005
            \t Executed 5 tests, with 1 test skipped and 3 failures (0 unexpected) in 0.005 (0.005) seconds

            """
        let result = try summarize(log)
        XCTAssertEqual(result.output, "3 passed, 1 skipped, 1 failed\n")
        XCTAssertEqual(result.status, 1)

        // Singular forms, and a log holding only the summary: the failure count stands in.
        let bare = try summarize("\t Executed 1 test, with 1 failure (0 unexpected) in 0.001 (0.001) seconds\n")
        XCTAssertEqual(bare.output, "0 passed, 0 skipped, 1 failed\n")
        XCTAssertEqual(bare.status, 1)
    }

    /// A run that died inside a suite is a failure, not the count of the suites that finished
    /// before it; so is an empty log.
    func testRunCutShortFails() throws {
        let log = """
            Test Suite 'All tests' started at 2026-01-01 10:00:00.000
            Test Suite 'ATests' started at 2026-01-01 10:00:00.000
            Test Case 'ATests.testOne' passed (0.001 seconds)
            Test Suite 'ATests' passed at 2026-01-01 10:00:00.001
            \t Executed 1 test, with 0 failures (0 unexpected) in 0.001 (0.001) seconds
            Test Suite 'BTests' started at 2026-01-01 10:00:00.001
            Test Case 'BTests.testCrashes' started at 2026-01-01 10:00:00.001
            Fatal error: Index out of range

            """
        let crashed = try summarize(log)
        XCTAssertEqual(crashed.status, 2)
        XCTAssertFalse(crashed.output.contains("passed"), crashed.output)
        XCTAssertEqual(try summarize("").status, 2)
    }

    // MARK: - Running the script

    private static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/test-summary.sh").path

    /// Runs the script with `log` on stdin; its stdout and exit status.
    private func summarize(_ log: String) throws -> (output: String, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", Self.script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(log.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), process.terminationStatus)
    }
}
