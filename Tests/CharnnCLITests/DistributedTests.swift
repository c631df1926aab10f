import CharRNN
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `mpirun -np 2 charnn train …`: the same training as one process with the same global batch.
final class DistributedTests: CLITestCase {
    /// Float32 summation order differs between one process and two ranks (the gradient of each
    /// block of streams is summed separately, then all-reduced), and Adam amplifies differences in
    /// near-zero gradients; after 20 steps of lr 2e-3 the weights may differ by a small fraction
    /// of one step. Observed: about 1e-6.
    static let tolerance: Float = 1e-4

    static let mpirun: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static let model = ["--cell", "lstm", "--hidden", "24", "--embed", "8", "--layers", "2", "--dropout", "0",
                        "--lr", "2e-3", "--batch", "8", "--seq", "16",
                        "--threads", "1", "--val-every", "10", "--seed", "5"]

    private func mpirunCommand(ranks: Int, _ arguments: [String]) throws -> RunningCommand {
        guard let mpirun = Self.mpirun else { throw XCTSkip("mpirun is not installed (apt-get install openmpi-bin)") }
        return try RunningCommand(
            executable: mpirun,
            arguments: ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "\(ranks)",
                        sandbox.binary] + arguments,
            in: sandbox.folder,
            environment: ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"])
    }

    private func largestDifference(_ a: String, _ b: String) throws -> Float {
        let x = try Checkpoint.read(from: a), y = try Checkpoint.read(from: b)
        XCTAssertEqual(x.parameters.count, y.parameters.count)
        return zip(x.parameters, y.parameters).map { abs($0 - $1) }.max() ?? .infinity
    }

    func testTwoRanksTrainLikeOneProcess() throws {
        let corpus = try corpus()
        let flags = Self.model + ["--steps", "20", "--dropout", "0.2"]
        assertSuccess(try sandbox.run(["train", corpus, "--out", "one"] + flags), "one process")
        let job = try mpirunCommand(ranks: 2, ["train", corpus, "--out", "two"] + flags).wait(timeout: 120)
        assertSuccess(job, "mpirun -np 2")
        XCTAssertTrue(job.err.contains("data-parallel over 2 ranks"), job.summary)
        XCTAssertTrue(job.err.contains("weights identical on all 2 ranks"), job.summary)
        XCTAssertEqual(job.err.components(separatedBy: "done: 20 steps").count - 1, 1, "only rank 0 reports\n\(job.summary)")

        let difference = try largestDifference(sandbox.path("one/latest.safetensors.zst"),
                                               sandbox.path("two/latest.safetensors.zst"))
        print("one process against 2 ranks after 20 steps: largest weight difference \(difference)")
        XCTAssertLessThanOrEqual(difference, Self.tolerance)
        XCTAssertGreaterThan(try trainingStep(sandbox.path("two/latest.safetensors.zst")) ?? 0, 19)
    }

    /// A checkpoint does not depend on the number of ranks: 10 steps on 2 ranks, then 10 more in one
    /// process, end where 20 steps in one process end.
    func testCheckpointOfTwoRanksResumesInOneProcess() throws {
        let corpus = try corpus()
        assertSuccess(try sandbox.run(["train", corpus, "--out", "one"] + Self.model + ["--steps", "20"]), "one process")
        let job = try mpirunCommand(ranks: 2, ["train", corpus, "--out", "split"] + Self.model + ["--steps", "10"])
        assertSuccess(job.wait(timeout: 120), "mpirun -np 2, 10 steps")
        assertSuccess(try sandbox.run(["train", corpus, "--out", "split", "--resume", "--steps", "20", "--threads", "1"]),
                      "resumed in one process")
        let difference = try largestDifference(sandbox.path("one/latest.safetensors.zst"),
                                               sandbox.path("split/latest.safetensors.zst"))
        XCTAssertLessThanOrEqual(difference, Self.tolerance)
    }

    func testBatchMustDivideAmongRanks() throws {
        let corpus = try corpus()
        let job = try mpirunCommand(ranks: 2, ["train", corpus, "--out", "odd", "--batch", "5", "--steps", "2",
                                               "--hidden", "8", "--threads", "1"]).wait(timeout: 60)
        XCTAssertFalse(job.timedOut, job.summary)
        XCTAssertNotEqual(job.exitCode, 0, job.summary)
        XCTAssertTrue(job.err.contains("--batch 5 cannot be split evenly over 2 ranks"), job.summary)
    }

    /// A rank killed mid-run ends the whole job within seconds; `latest` still loads and `--resume`
    /// continues from it.
    func testDeadRankStopsTheJob() throws {
        let corpus = try corpus()
        let job = try mpirunCommand(ranks: 2, ["train", corpus, "--out", "run", "--time", "120s", "--save-every", "5",
                                               "--log-every", "5"] + Self.model)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, job.isRunning,
              !FileManager.default.fileExists(atPath: sandbox.path("run/latest.safetensors.zst")) {
            usleep(50_000)
        }
        let ranks = childProcesses(of: job.pid).filter { command(of: $0).contains("charnn") }
        XCTAssertEqual(ranks.count, 2, "the ranks of mpirun \(job.pid): \(ranks)\n\(job.stderrSoFar)")
        let victim = try XCTUnwrap(ranks.last)
        let killed = Date()
        kill(victim, SIGKILL)
        let result = job.wait(timeout: 30)
        XCTAssertFalse(result.timedOut, "the job hung after a rank died\n\(result.summary)")
        XCTAssertLessThan(Date().timeIntervalSince(killed), 15, result.summary)
        XCTAssertNotEqual(result.exitCode, 0, result.summary)

        let latest = sandbox.path("run/latest.safetensors.zst")
        let saved = try XCTUnwrap(try trainingStep(latest))
        let resumed = try sandbox.run(["train", corpus, "--out", "run", "--resume", "--steps", "\(saved + 5)",
                                       "--threads", "1"])
        assertSuccess(resumed, "resuming after the dead rank")
        XCTAssertEqual(try trainingStep(latest), saved + 5)
    }

    private func childProcesses(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == parent
        }.sorted()
    }

    private func command(of pid: pid_t) -> String {
        let data = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }
}
