import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `charnn train` under SIGINT, SIGTERM and SIGKILL: a readable `latest` every time.
final class SignalTests: CLITestCase {
    /// Starts a 60 s run of the tiny model and returns once it reports progress (or after 1.5 s).
    private func startLongRun(out: String, extra: [String] = []) throws -> RunningCommand {
        let run = try sandbox.start(["train", sandbox.path("corpus.txt")] + Self.tinyModel
                                    + ["--time", "60s", "--out", out, "--log-every", "10"] + extra)
        let deadline = Date().addingTimeInterval(1.5)
        while Date() < deadline, run.isRunning, !run.stderrSoFar.contains("step ") { usleep(20_000) }
        return run
    }

    private func assertStopsAndSaves(on signal: Int32, code: Int32, name: String,
                                     file: StaticString = #filePath, line: UInt = #line) throws {
        _ = try corpus()
        let run = try startLongRun(out: "run", extra: ["--save-every", "0"])
        XCTAssertTrue(run.isRunning, "training ended before the signal:\n\(run.stderrSoFar)", file: file, line: line)
        run.send(signal)
        let result = run.wait(timeout: 30)
        let latest = sandbox.path("run/latest.safetensors.zst")
        let lastLine = String(result.err.split(separator: "\n").last ?? "")
        assertCleanFailure(result, code: code, mentions: ["run/latest.safetensors.zst", "--resume"], oneLine: false,
                           file: file, line: line)
        XCTAssertTrue(lastLine.contains("latest.safetensors.zst") && lastLine.contains("--resume"),
                      "the last line does not say where it saved: \(lastLine)", file: file, line: line)
        XCTAssertTrue(result.stdout.isEmpty, file: file, line: line)

        let info = try sandbox.run(["info", latest])
        assertSuccess(info, "info of the checkpoint saved on \(name)", file: file, line: line)
        let step = try XCTUnwrap(try trainingStep(latest), file: file, line: line)
        XCTAssertGreaterThan(step, 0, file: file, line: line)
    }

    func testSIGINTSavesLatestAndExits130() throws {
        try assertStopsAndSaves(on: SIGINT, code: 130, name: "SIGINT")
    }

    func testSIGTERMSavesLatestAndExits143() throws {
        try assertStopsAndSaves(on: SIGTERM, code: 143, name: "SIGTERM")
    }

    /// Killed at random moments while saving every step: `latest` always loads, at most one
    /// temporary is left, and the next run removes it.
    func testSIGKILLNeverLeavesABrokenLatest() throws {
        _ = try corpus()
        var random = SeededGenerator(seed: 2024)
        let latest = sandbox.path("run/latest.safetensors.zst")
        func temporaries() -> [String] {
            sandbox.files(in: "run").filter { $0.hasPrefix(".") && $0.contains(".tmp.") }
        }
        for round in 0..<6 {
            let run = try sandbox.start(["train", sandbox.path("corpus.txt")] + Self.tinyModel
                                        + ["--time", "60s", "--out", "run", "--save-every", "1", "--val-every", "0"])
            usleep(useconds_t(Double.random(in: 0.3...1.5, using: &random) * 1_000_000))
            run.send(SIGKILL)
            let result = run.wait(timeout: 30)
            XCTAssertEqual(result.ending, .signalled(SIGKILL), "round \(round)\n\(result.summary)")
            if sandbox.exists("run/latest.safetensors.zst") {
                let info = try sandbox.run(["info", latest])
                assertSuccess(info, "round \(round): info of latest after SIGKILL")
            }
            let left = temporaries()
            XCTAssertLessThanOrEqual(left.count, 1, "round \(round): temporaries pile up: \(left)")
            XCTAssertTrue(left.allSatisfy { $0.hasPrefix(".latest.safetensors.zst.tmp.") }, "\(left)")
        }
        XCTAssertTrue(sandbox.exists("run/latest.safetensors.zst"), "no save in six runs of 0.3–1.5 s")

        let final = try sandbox.run(["train", sandbox.path("corpus.txt")] + Self.tinyModel
                                    + ["--steps", "2", "--out", "run", "--val-every", "0"])
        assertSuccess(final)
        XCTAssertEqual(temporaries(), [], "stale temporaries survive a normal run")
        XCTAssertEqual(try trainingStep(latest), 2)
    }
}
