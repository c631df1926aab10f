import Foundation
import XCTest

/// `charnn sweep` end to end on the tiny model: the promotion rule, promoted trials resumed, the
/// table and CSV in agreement, a winner that samples, a resume after SIGINT, and bad input.
final class SweepCommandTests: CLITestCase {
    private let model = ["--embed", "8", "--batch", "4", "--seq", "16"]

    private func csvRows(_ folder: String) throws -> [[String: String]] {
        let lines = String(decoding: try sandbox.read(folder + "/sweep.csv"), as: UTF8.self).split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        return lines.dropFirst().map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return Dictionary(uniqueKeysWithValues: zip(header, fields))
        }
    }

    func testTinySweepPromotesTheBestAndResumesThem() throws {
        let corpus = try corpus()
        let result = try sandbox.run(["sweep", corpus, "--hidden", "8,16,24", "--lr", "3e-3,1e-2", "--layers", "1"]
                                     + model + ["--budget-steps", "240", "--jobs", "2", "--val-every", "10", "--out", "sw"],
                                     timeout: 240)
        assertSuccess(result, "the sweep")
        // 6 trials, η = 3: rungs of 6 and 2 and 1; b_0 = 240 / (6 + 2·2 + 1·6) = 15 steps.
        let rows = try csvRows("sw")
        let first = rows.filter { $0["rung"] == "1" }, second = rows.filter { $0["rung"] == "2" },
            third = rows.filter { $0["rung"] == "3" }
        XCTAssertEqual([first.count, second.count, third.count], [6, 2, 1], result.summary)
        XCTAssertTrue(first.allSatisfy { $0["steps"] == "15" }, "\(first)")
        XCTAssertTrue(second.allSatisfy { $0["steps"] == "45" }, "promoted trials continue to b_1 = 45 steps in all")
        XCTAssertEqual(third.first?["steps"], "135")

        // The promoted are the two best of the first rung; the finalist the better of those.
        let ranked = first.sorted { Double($0["best_val_bits_per_char"]!)! < Double($1["best_val_bits_per_char"]!)! }
        XCTAssertEqual(Set(second.map { $0["trial"]! }), Set(ranked.prefix(2).map { $0["trial"]! }))
        let finalist = second.min { Double($0["best_val_bits_per_char"]!)! < Double($1["best_val_bits_per_char"]!)! }
        XCTAssertEqual(third.first?["trial"], finalist?["trial"])
        XCTAssertEqual(third.first?["outcome"], "winner")

        // A promoted trial resumed: its log holds one run per rung, each continuing the step count.
        let log = String(decoding: try sandbox.read("sw/trials/" + String(format: "%03d", Int(third[0]["trial"]!)!) + "/train.log"),
                         as: UTF8.self)
        XCTAssertEqual(log.components(separatedBy: "; resuming ").count - 1, 2, log)

        // The table on stdout agrees with the CSV's last row of every trial.
        let table = result.out.split(separator: "\n").filter { $0.first?.isNumber == true }
        XCTAssertEqual(table.count, 6)
        for line in table {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            let last = rows.filter { $0["trial"] == columns[0] }.last!
            let shown = try XCTUnwrap(columns.compactMap(Double.init).first { $0 > 1 && $0 < 10 && columns.firstIndex(of: String(format: "%.4f", $0)) != nil })
            XCTAssertEqual(shown, Double(last["best_val_bits_per_char"]!)!, accuracy: 5e-5, "\(line) vs \(last)")
            XCTAssertTrue(columns.contains(last["steps"]!), "\(line) vs \(last)")
        }
        XCTAssertTrue(result.out.contains("charnn sample --checkpoint"))

        // The winner's checkpoint loads and samples; the plot exists.
        let sample = try sandbox.run(["sample", "--checkpoint", sandbox.path("sw/best.safetensors.zst"), "--length", "40",
                                      "--seed", "1"])
        assertSuccess(sample, "sampling the winner")
        XCTAssertGreaterThan(sample.out.count, 30)
        XCTAssertTrue(String(decoding: try sandbox.read("sw/sweep.svg"), as: UTF8.self).contains("<polyline"))
    }

    func testSweepStoppedBySIGINTResumes() throws {
        let corpus = try corpus()
        let arguments = ["sweep", corpus, "--hidden", "8,16", "--layers", "1"] + model
            + ["--budget-steps", "20000", "--jobs", "2", "--val-every", "50", "--out", "sw"]
        let run = try sandbox.start(arguments)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, run.isRunning, !run.stderrSoFar.contains("trial 1:") { usleep(50_000) }
        usleep(1_500_000)
        run.send(SIGINT)
        let stopped = run.wait(timeout: 60)
        assertCleanFailure(stopped, code: 130, mentions: ["--resume", "sw"], oneLine: false)
        let state = try jsonObject(try sandbox.read("sw/sweep.json"))
        let trials = try XCTUnwrap(state["trials"] as? [[String: Any]])
        XCTAssertTrue(trials.allSatisfy { $0["status"] as? String == "pending" }, "\(trials)")
        XCTAssertTrue(sandbox.exists("sw/trials/000/latest.safetensors.zst"), "a stopped trial saved its latest")

        // A new sweep in the same folder is refused; --resume continues (with a smaller budget it would not
        // end quickly, so stop it again and check it went on from the saved steps).
        let refused = try sandbox.run(arguments)
        assertCleanFailure(refused, code: 1, mentions: ["sw", "--resume"])
        let savedStep = try XCTUnwrap(try trainingStep(sandbox.path("sw/trials/000/latest.safetensors.zst")))
        let resumed = try sandbox.start(["sweep", "--resume", "--out", "sw"])
        let until = Date().addingTimeInterval(20)
        while Date() < until, resumed.isRunning, !resumed.stderrSoFar.contains("--resume") { usleep(50_000) }
        usleep(1_500_000)
        resumed.send(SIGINT)
        _ = resumed.wait(timeout: 60)
        XCTAssertTrue(resumed.stderrSoFar.contains("--out " + sandbox.path("sw") + "/trials/000") || resumed.stderrSoFar.contains("trials/000"),
                      resumed.stderrSoFar)
        let log = String(decoding: try sandbox.read("sw/trials/000/train.log"), as: UTF8.self)
        XCTAssertTrue(log.contains("; resuming "), log)
        let later = try XCTUnwrap(try trainingStep(sandbox.path("sw/trials/000/latest.safetensors.zst")))
        XCTAssertGreaterThanOrEqual(later, savedStep)
    }

    func testBadInputIsRefusedBeforeTraining() throws {
        let corpus = try corpus()
        let empty = try sandbox.run(["sweep", corpus, "--hidden", ",", "--budget-steps", "10"])
        assertCleanFailure(empty, code: 64, mentions: ["--hidden"], oneLine: false)
        let refused = try sandbox.run(["sweep", corpus, "--hidden", "8,0", "--budget-steps", "100"])
        assertCleanFailure(refused, code: 1, mentions: ["--hidden", "got 0"], oneLine: false)
        let tiny = try sandbox.run(["sweep", corpus, "--hidden", "8,16,24", "--lr", "1e-3,2e-3,3e-3", "--budget-steps", "10",
                                    "--out", "t"])
        assertCleanFailure(tiny, code: 1, mentions: ["budget", "--samples"])
        XCTAssertFalse(sandbox.exists("t/trials"), "nothing trained")
        let noBudget = try sandbox.run(["sweep", corpus, "--hidden", "8"])
        assertCleanFailure(noBudget, code: 64, mentions: ["--budget"], oneLine: false)
    }
}

/// `mpirun -np 2 charnn sweep …`: rank 1 works for rank 0; when it is killed, or stopped by a signal
/// of its own (as Open MPI stops the ranks of a host whose link is cut), only its running trial is
/// lost, and rank 0 runs it again and finishes the sweep.
final class DistributedSweepTests: CLITestCase {
    func testAKilledRankLosesOnlyItsTrial() throws {
        let (out, err) = try sweep(stoppingRank1With: "KILL")
        XCTAssertTrue(out.contains("exit 0"), out + err)
        XCTAssertTrue(err.contains("its rank stopped answering; the trial runs again"), err)
        try assertEveryFirstRungTrialFinished(err)
    }

    /// SIGTERM to rank 1: its trial saves and stops, and is handed back rather than counted failed.
    /// When the signal meets the rank between two trials (its trial just finished, the next one not
    /// yet read), the rank ends without a trial to report and rank 0 sees it stop answering instead:
    /// either way the trial runs again and none fails.
    func testATerminatedRankHandsBackItsTrial() throws {
        let (out, err) = try sweep(stoppingRank1With: "TERM")
        XCTAssertTrue(out.contains("exit 0"), out + err)
        let handedBack = err.contains("its rank was stopped by signal 15 (its trial saved); the trial runs again")
        let silent = err.contains("its rank stopped answering; the trial runs again")
        XCTAssertTrue(handedBack || silent, err)
        print("SIGTERM to rank 1: " + (handedBack ? "its trial was handed back" : "it stopped answering between trials"))
        XCTAssertFalse(err.contains("failed (exit"), err)
        try assertEveryFirstRungTrialFinished(err)
    }

    /// Nobody stopped: rank 1 says it ended, nothing is reported lost, and mpirun exits 0 by itself.
    func testASweepWithoutLossesEndsQuietly() throws {
        guard let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first(where: FileManager.default.isExecutableFile)
        else { throw XCTSkip("mpirun is not installed") }
        let corpus = try corpus()
        let script = """
            CHARNN_SWEEP_STALE_SECONDS=2 \(mpirun) --allow-run-as-root --oversubscribe --enable-recovery -np 2 \
              "$CHARNN" sweep \(corpus) --hidden 8,12 --lr 3e-3 --layers 1 --embed 8 --batch 4 --seq 16 \
              --budget-steps 200 --val-every 50 --out sw > out.txt 2> err.txt
            echo "exit $?"
            """
        let result = try sandbox.shell(script, timeout: 120)
        let err = String(decoding: (try? sandbox.read("err.txt")) ?? Data(), as: UTF8.self)
        XCTAssertTrue(result.out.contains("exit 0"), result.out + err)
        XCTAssertFalse(err.contains("went away"), err)
        XCTAssertTrue(sandbox.exists("sw/mpi/ended-1"), "rank 1 did not say it ended\n\(err)")
    }

    private func sweep(stoppingRank1With signal: String) throws -> (out: String, err: String) {
        guard let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first(where: FileManager.default.isExecutableFile)
        else { throw XCTSkip("mpirun is not installed") }
        let corpus = try corpus()
        let script = """
            CHARNN_SWEEP_STALE_SECONDS=2 \(mpirun) --allow-run-as-root --oversubscribe --enable-recovery -np 2 \
              "$CHARNN" sweep \(corpus) --hidden 8,12,16 --lr 3e-3,1e-2 --layers 1 --embed 8 --batch 4 --seq 16 \
              --budget-steps 3000 --val-every 50 --out sw > out.txt 2> err.txt &
            # Once rank 1 has a trial running (a child process of its own), stop it.
            for i in $(seq 1 300); do
              if [ -f sw/mpi/pid-1 ] && grep -q "trial 1:" err.txt 2>/dev/null; then break; fi
              sleep 0.1
            done
            # At once, while that trial runs: a second's wait could find rank 1 idle in the last
            # rung, where only rank 0 trains, and the sweep would never miss it.
            for i in $(seq 1 200); do
              if pgrep -P "$(cat sw/mpi/pid-1)" > /dev/null; then break; fi
              sleep 0.02
            done
            kill -\(signal) "$(cat sw/mpi/pid-1)"
            wait
            echo "exit $?"
            """
        let result = try sandbox.shell(script, timeout: 200)
        return (result.out, String(decoding: (try? sandbox.read("err.txt")) ?? Data(), as: UTF8.self))
    }

    private func assertEveryFirstRungTrialFinished(_ err: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let rows = String(decoding: try sandbox.read("sw/sweep.csv"), as: UTF8.self).split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.filter { $0.split(separator: ",")[1] == "1" }.count, 6, "every first-rung trial finished\n\(err)",
                       file: file, line: line)
        XCTAssertTrue(rows.contains { $0.hasSuffix(",winner") }, err, file: file, line: line)
    }
}
