import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Finding the binary

/// The built `charnn` executable, found next to the test bundle (`.build/debug/`, or the products
/// folder of any `--scratch-path`), or at `CHARNN_BINARY` when that is set.
enum CharnnBinary {
    static let path: String? = locate()

    /// Folders to look in, most specific first; each is also searched a few levels up, which covers
    /// macOS bundles (`debug/X.xctest/Contents/MacOS/X`) as well as Linux (`debug/X.xctest`).
    static var searchStarts: [URL] {
        var starts: [URL] = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL { starts.append(executable.deletingLastPathComponent()) }
        let first = URL(fileURLWithPath: CommandLine.arguments[0])
        starts.append(first.deletingLastPathComponent())
        starts.append(first.resolvingSymlinksInPath().deletingLastPathComponent())
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            starts.append(bundle.bundleURL.deletingLastPathComponent())
        }
        starts.append(Fixtures.packageRoot.appendingPathComponent(".build/debug"))
        return starts
    }

    private static func locate() -> String? {
        if let given = ProcessInfo.processInfo.environment["CHARNN_BINARY"], !given.isEmpty { return given }
        for start in searchStarts {
            var folder = start.standardizedFileURL
            for _ in 0..<4 {
                let candidate = folder.appendingPathComponent("charnn").path
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate, isDirectory: &isFolder), !isFolder.boolValue,
                   FileManager.default.isExecutableFile(atPath: candidate) {
                    return candidate
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        return nil
    }
}

// MARK: - Running it

/// How a run of a command ended, with everything it wrote.
struct RunResult {
    enum Ending: Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    var ending: Ending
    var stdout: Data
    var stderr: Data
    /// Whether the harness had to kill the process because it outlived its timeout.
    var timedOut = false

    var exitCode: Int32? { if case .exited(let code) = ending { code } else { nil } }
    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
    /// Everything a failing assertion should show.
    var summary: String {
        "ending \(ending)\(timedOut ? " (timed out, killed)" : "")\n--- stdout (\(stdout.count) bytes):\n"
            + String(out.prefix(2000)) + "\n--- stderr (\(stderr.count) bytes):\n" + String(err.suffix(3000))
    }
}

/// A `charnn` process started in the background: its output goes to files, so it can be polled
/// while it runs and never blocks on a full pipe.
final class RunningCommand {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL
    private let stdoutHandle: FileHandle
    private let stderrHandle: FileHandle
    private(set) var timedOut = false
    /// Taken once at launch: the process's own id, whatever `Process` reports after it ends.
    private(set) var pid: pid_t = 0

    init(executable: String, arguments: [String], in folder: URL, stdin: Data? = nil,
         environment: [String: String] = [:]) throws {
        let tag = UUID().uuidString.prefix(8)
        let logs = folder.appendingPathComponent(".charnn-test-logs", isDirectory: true)
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        stdoutURL = logs.appendingPathComponent("\(tag).stdout")
        stderrURL = logs.appendingPathComponent("\(tag).stderr")
        try Data().write(to: stdoutURL)
        try Data().write(to: stderrURL)
        stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        stderrHandle = try FileHandle(forWritingTo: stderrURL)

        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        if let stdin {
            let input = logs.appendingPathComponent("\(tag).stdin")
            try stdin.write(to: input)
            process.standardInput = try FileHandle(forReadingFrom: input)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        pid = process.processIdentifier
    }

    /// A test that stops early leaves no process behind.
    deinit {
        if process.isRunning {
            send(SIGKILL)
            process.waitUntilExit()
        }
    }

    var isRunning: Bool { process.isRunning }
    var stderrSoFar: String { String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self) }

    /// Signals the process while it runs; never a process group (a pid of 0 or less), never after it ended.
    func send(_ signal: Int32) {
        guard pid > 0, process.isRunning else { return }
        kill(pid, signal)
    }

    /// Waits at most `timeout` seconds; a process still running then is killed (SIGKILL).
    func wait(timeout: Double) -> RunResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(5_000) }
        if process.isRunning {
            timedOut = true
            send(SIGKILL)
        }
        process.waitUntilExit()
        try? stdoutHandle.close()
        try? stderrHandle.close()
        let ending: RunResult.Ending = process.terminationReason == .uncaughtSignal
            ? .signalled(process.terminationStatus) : .exited(process.terminationStatus)
        return RunResult(ending: ending, stdout: (try? Data(contentsOf: stdoutURL)) ?? Data(),
                         stderr: (try? Data(contentsOf: stderrURL)) ?? Data(), timedOut: timedOut)
    }
}

/// A test's own folder, the binary, and shortcuts to run it.
struct Sandbox {
    let folder: URL
    let binary: String

    func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
    func path(_ name: String) -> String { url(name).path }

    /// Runs `charnn ARGUMENTS` in `directory` (default: the test's folder) and waits for it.
    @discardableResult
    func run(_ arguments: [String], in directory: URL? = nil, stdin: Data? = nil,
             environment: [String: String] = [:], timeout: Double = 120) throws -> RunResult {
        try start(arguments, in: directory, stdin: stdin, environment: environment).wait(timeout: timeout)
    }

    func start(_ arguments: [String], in directory: URL? = nil, stdin: Data? = nil,
               environment: [String: String] = [:]) throws -> RunningCommand {
        try RunningCommand(executable: binary, arguments: arguments, in: directory ?? folder, stdin: stdin,
                           environment: environment)
    }

    /// Runs `/bin/sh -c SCRIPT` in the test's folder, with `$CHARNN` set to the binary.
    func shell(_ script: String, timeout: Double = 120) throws -> RunResult {
        try RunningCommand(executable: "/bin/sh", arguments: ["-c", script], in: folder,
                           environment: ["CHARNN": binary]).wait(timeout: timeout)
    }

    func write(_ text: String, to name: String) throws -> String {
        try Data(text.utf8).write(to: url(name))
        return path(name)
    }

    func write(_ data: Data, to name: String) throws -> String {
        try data.write(to: url(name))
        return path(name)
    }

    func read(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    func files(in name: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(name))) ?? []).sorted()
    }
}

/// The base of the CLI tests: a fresh temporary folder per test, removed afterwards.
class CLITestCase: XCTestCase {
    private(set) var sandbox: Sandbox!

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard let binary = CharnnBinary.path else {
            throw HarnessError("cannot find the built charnn binary; looked next to "
                               + CharnnBinary.searchStarts.map(\.path).joined(separator: ", ")
                               + " (build with `swift build --build-tests`, or set CHARNN_BINARY)")
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("charnn-cli-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        sandbox = Sandbox(folder: folder, binary: binary)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    }

    // MARK: Shortcuts

    /// The smallest model worth training: fast even in a debug build.
    /// Every model flag given, so that `--steps` leaves the budget rule nothing to choose.
    static let tinyModel = ["--cell", "lstm", "--hidden", "16", "--embed", "8", "--layers", "1", "--dropout", "0",
                            "--lr", "2e-3", "--batch", "4", "--seq", "16", "--threads", "1"]

    /// Writes the standard test corpus as `name` and returns its path.
    func corpus(_ name: String = "corpus.txt") throws -> String {
        try sandbox.write(Fixtures.corpusText, to: name)
    }

    /// Trains a tiny model for `steps` steps into `out` and returns the path of its `latest`.
    @discardableResult
    func trainTiny(corpus: String, out: String, steps: Int = 20, extra: [String] = [],
                   file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try sandbox.run(["train", corpus] + Self.tinyModel
                                     + ["--steps", "\(steps)", "--val-every", "10", "--out", out] + extra)
        assertSuccess(result, "training the fixture model", file: file, line: line)
        guard result.ending == .exited(0) else { throw HarnessError("the fixture model could not be trained") }
        let latest = sandbox.path(out + "/latest.safetensors.zst")
        guard FileManager.default.fileExists(atPath: latest) else { throw HarnessError("training wrote no \(latest)") }
        return latest
    }

    /// `charnn info --json PATH` as a dictionary.
    func infoJSON(_ checkpoint: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let result = try sandbox.run(["info", "--json", checkpoint])
        assertSuccess(result, "info --json \(checkpoint)", file: file, line: line)
        guard result.ending == .exited(0) else { throw HarnessError("info --json \(checkpoint) failed") }
        return try jsonObject(result.stdout, file: file, line: line)
    }

    func jsonObject(_ data: Data, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let parsed = try? JSONSerialization.jsonObject(with: data)
        guard let object = parsed as? [String: Any] else {
            throw HarnessError("not one JSON object: \(String(decoding: data, as: UTF8.self).prefix(500))")
        }
        return object
    }

    /// The training step recorded in a checkpoint, or nil when it has none.
    func trainingStep(_ checkpoint: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int? {
        let info = try infoJSON(checkpoint, file: file, line: line)
        return (info["training"] as? [String: Any])?["step"] as? Int
    }
}

/// A failure of the harness itself (no binary, output that cannot be parsed).
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Assertions

/// What a Swift runtime trap or a crash report leaves on standard error.
let crashMarkers = ["Fatal error", "Stack dump", "Illegal instruction", "Trace/breakpoint", "Segmentation fault",
                    "Precondition failed", "Assertion failed", "Current stack trace", "💣"]

func assertNoCrashReport(_ result: RunResult, file: StaticString = #filePath, line: UInt = #line) {
    for marker in crashMarkers where result.err.localizedCaseInsensitiveContains(marker) {
        XCTFail("stderr holds a crash report (\(marker))\n\(result.summary)", file: file, line: line)
    }
}

/// Exit 0, a normal exit, no crash report.
func assertSuccess(_ result: RunResult, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(result.timedOut, "\(what): timed out\n\(result.summary)", file: file, line: line)
    XCTAssertEqual(result.ending, .exited(0), "\(what)\n\(result.summary)", file: file, line: line)
    assertNoCrashReport(result, file: file, line: line)
}

/// A deliberate failure: exit `code` (not a signal), no crash report, stderr mentions every word of
/// `mentions` (case-insensitive) and, when `oneLine`, is exactly one line (a trailing newline aside).
func assertCleanFailure(_ result: RunResult, code: Int32, mentions: [String], oneLine: Bool = true,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(result.timedOut, "timed out\n\(result.summary)", file: file, line: line)
    if case .signalled(let signal) = result.ending {
        XCTFail("killed by signal \(signal) instead of exiting with \(code)\n\(result.summary)", file: file, line: line)
    }
    XCTAssertEqual(result.exitCode, code, "exit code\n\(result.summary)", file: file, line: line)
    assertNoCrashReport(result, file: file, line: line)
    let message = result.err
    if oneLine {
        var trimmed = Substring(message)
        if trimmed.hasSuffix("\n") { trimmed = trimmed.dropLast() }
        XCTAssertFalse(trimmed.isEmpty, "stderr is empty\n\(result.summary)", file: file, line: line)
        XCTAssertFalse(trimmed.contains("\n"), "stderr is not one line\n\(result.summary)", file: file, line: line)
    }
    for word in mentions {
        XCTAssertTrue(message.localizedCaseInsensitiveContains(word),
                      "stderr does not mention \"\(word)\"\n\(result.summary)", file: file, line: line)
    }
}

// MARK: - Test data

/// SplitMix64: a small seeded generator for reproducible test data and timings.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Fixtures {
    /// The package folder (this file is `Tests/CharnnCLITests/CLIHarness.swift`).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// About 20 KB of English: the start of tinyshakespeare when the shared corpora are beside the
    /// package (or at `CHARNN_CORPUS_MIRROR`), otherwise seeded English-ish lines. Setting
    /// `CHARNN_CLI_TESTS_GENERATED_CORPUS=1` forces the generated text.
    static let corpusText: String = sharedCorpus() ?? generatedText(bytes: 20_000, seed: 42)

    private static func sharedCorpus() -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard environment["CHARNN_CLI_TESTS_GENERATED_CORPUS"] == nil else { return nil }
        var folders = [packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpora")]
        if let mirror = environment["CHARNN_CORPUS_MIRROR"] { folders.insert(URL(fileURLWithPath: mirror), at: 0) }
        for folder in folders {
            guard let handle = try? FileHandle(forReadingFrom: folder.appendingPathComponent("tinyshakespeare.txt")),
                  let data = try? handle.read(upToCount: 20_000) else { continue }
            try? handle.close()
            // Cut at the last line break so no character is split.
            guard let end = data.lastIndex(of: 10), end > 10_000,
                  let text = String(data: data[...end], encoding: .utf8) else { continue }
            return text
        }
        return nil
    }

    static func generatedText(bytes: Int, seed: UInt64) -> String {
        let words = ["the", "king", "and", "queen", "of", "a", "little", "town", "went", "to", "see", "what",
                     "night", "would", "bring", "upon", "their", "house", "but", "no", "one", "knew", "why",
                     "my", "lord", "shall", "we", "speak", "now", "or", "never", "sweet", "friend", "come",
                     "hither", "thou", "art", "gentle", "brave", "good", "morrow", "i", "pray", "you", "tell"]
        let endings = [".", ",", "!", "?", ";", ":"]
        var generator = SeededGenerator(seed: seed)
        var text = ""
        while text.utf8.count < bytes {
            var line: [String] = []
            for index in 0..<Int.random(in: 4...11, using: &generator) {
                var word = words.randomElement(using: &generator)!
                if index == 0 { word = word.prefix(1).uppercased() + word.dropFirst() }
                line.append(word)
            }
            text += line.joined(separator: " ") + endings.randomElement(using: &generator)! + "\n"
        }
        return text
    }
}

extension String {
    var scalarCount: Int { unicodeScalars.count }
}
