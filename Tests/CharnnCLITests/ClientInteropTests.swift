import Foundation
import XCTest

/// Real clients against `charnn serve`: the `openai` Python package, and the playground in headless
/// Chromium (selenium). Both compare what they get with `charnn sample`'s text for the same seed.
/// Skipped where Python's packages or Chromium are missing, except in CI (CI=true), whose
/// `.ci/run` installs them: there a missing piece fails.
final class ClientInteropTests: CLITestCase {
    private static let prime = "The "
    private static let seed: UInt64 = 42
    private static let length = 120

    private func requirePython(_ modules: [String], files: [String] = []) throws {
        let probe = try sandbox.shell("python3 -c 'import \(modules.joined(separator: ", "))'")
        let missing = probe.exitCode != 0 || files.contains { !FileManager.default.fileExists(atPath: $0) }
        guard missing else { return }
        let what = "python3 with \(modules.joined(separator: ", ")) and \(files.joined(separator: ", "))"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail("\(what) missing in CI: .ci/run must install it")
        }
        throw XCTSkip("\(what) not installed")
    }

    /// A tiny model, its server, and `charnn sample`'s text after the prime, in a file.
    private func prepare() throws -> (ServerUnderTest, expected: String) {
        let checkpoint = try trainTiny(corpus: corpus(), out: "model", steps: 40)
        let sample = try sandbox.run(["sample", "--checkpoint", checkpoint, "--prime", Self.prime, "--seed",
                                      "\(Self.seed)", "--temp", "0.8", "--length", "\(Self.length)"])
        assertSuccess(sample, "sample")
        let text = String(sample.out.dropFirst(Self.prime.count).dropLast())
        let expected = try sandbox.write(text, to: "expected.txt")
        return (try ServerUnderTest(sandbox: sandbox, checkpoint: checkpoint), expected)
    }

    private func arguments(_ server: ServerUnderTest, _ expected: String) -> String {
        "--port \(server.port) --prime '\(Self.prime)' --seed \(Self.seed) --temperature 0.8 --length \(Self.length) "
            + "--expected-file '\(expected)'"
    }

    func testOpenAIPythonPackageStreamsTheSampledText() throws {
        try requirePython(["openai"])
        let (server, expected) = try prepare()
        let script = Fixtures.packageRoot.appendingPathComponent("Tests/clients/openai_client.py").path
        // The server lives until the client is done: released after its last use, it would be
        // stopped (SIGTERM in deinit) before the client connects.
        let result = try withExtendedLifetime(server) {
            try sandbox.shell("python3 '\(script)' \(arguments(server, expected)) 2>&1", timeout: 120)
        }
        XCTAssertEqual(result.exitCode, 0, result.out)
    }

    func testPlaygroundInHeadlessChromium() throws {
        try requirePython(["selenium"], files: ["/usr/bin/chromium", "/usr/bin/chromedriver"])
        let (server, expected) = try prepare()
        let script = Fixtures.packageRoot.appendingPathComponent("Tests/clients/playground_browser.py").path
        let screenshot = sandbox.path("playground.png")
        let result = try withExtendedLifetime(server) {
            try sandbox.shell("python3 '\(script)' \(arguments(server, expected)) --screenshot '\(screenshot)' 2>&1",
                              timeout: 180)
        }
        XCTAssertEqual(result.exitCode, 0, result.out)
        let png = try sandbox.read("playground.png")
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "the screenshot is a PNG")
    }
}
