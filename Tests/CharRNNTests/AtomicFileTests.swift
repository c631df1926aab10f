import Foundation
import XCTest
@testable import CharRNN

final class AtomicFileTests: XCTestCase {
    private var folder = ""
    private let manager = FileManager.default

    override func setUpWithError() throws {
        folder = manager.temporaryDirectory.appendingPathComponent("AtomicFileTests-\(UUID().uuidString)").path
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: false)
    }

    override func tearDownWithError() throws {
        try? manager.removeItem(atPath: folder)
    }

    func testOverwriteKeepsOnlyTheFinalContentAndNoTemporary() throws {
        let path = folder + "/model.safetensors.zst"
        try AtomicFile.write(Array("first version".utf8), to: path)
        XCTAssertEqual(try AtomicFile.readAll(path: path), Array("first version".utf8))
        let large = (0..<(2 << 20) + 3).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try AtomicFile.write(large, to: path)
        XCTAssertEqual(try AtomicFile.readAll(path: path), large)
        try AtomicFile.write([], to: path)
        XCTAssertEqual(try AtomicFile.readAll(path: path), [])
        XCTAssertEqual(try manager.contentsOfDirectory(atPath: folder), ["model.safetensors.zst"])
    }

    func testRelativePathIsWrittenInTheCurrentFolder() throws {
        let previous = manager.currentDirectoryPath
        XCTAssertTrue(manager.changeCurrentDirectoryPath(folder))
        defer { _ = manager.changeCurrentDirectoryPath(previous) }
        try AtomicFile.write([1, 2, 3], to: "relative.bin")
        XCTAssertEqual(try AtomicFile.readAll(path: folder + "/relative.bin"), [1, 2, 3])
    }

    func testWriteIntoMissingFolderFails() throws {
        let path = folder + "/does-not-exist/model.safetensors.zst"
        guard case .writeFailed(path, let reason)? = writeError([1, 2, 3], to: path) else {
            return XCTFail("no writeFailed for \(path)")
        }
        XCTAssertTrue(reason.contains("No such file or directory"), reason)
        XCTAssertEqual(try manager.contentsOfDirectory(atPath: folder), [])
    }

    func testWriteUnderARegularFileFailsAndLeavesItIntact() throws {
        let regular = folder + "/regular"
        try AtomicFile.write([9, 9], to: regular)
        guard case .writeFailed(regular + "/x", _)? = writeError([1], to: regular + "/x") else {
            return XCTFail("no writeFailed under a regular file")
        }
        XCTAssertEqual(try AtomicFile.readAll(path: regular), [9, 9])
    }

    /// The temporary cannot be created (a folder occupies its name): the old file stays as it was.
    func testFailedWriteLeavesThePreviousFileUntouched() throws {
        let path = folder + "/model.safetensors.zst"
        try AtomicFile.write(Array("good checkpoint".utf8), to: path)
        let blocker = folder + "/.model.safetensors.zst.tmp.\(getpid())"
        try manager.createDirectory(atPath: blocker, withIntermediateDirectories: false)
        guard case .writeFailed(path, _)? = writeError(Array("new checkpoint".utf8), to: path) else {
            return XCTFail("write succeeded despite the blocked temporary")
        }
        XCTAssertEqual(try AtomicFile.readAll(path: path), Array("good checkpoint".utf8))
    }

    /// The rename fails (the target is a non-empty folder) after the temporary was written: the
    /// temporary is removed and the target untouched.
    func testFailedRenameRemovesTheTemporary() throws {
        let path = folder + "/occupied"
        try manager.createDirectory(atPath: path, withIntermediateDirectories: false)
        try AtomicFile.write([5], to: path + "/inside")
        guard case .writeFailed(path, _)? = writeError([1, 2, 3], to: path) else {
            return XCTFail("rename over a non-empty folder succeeded")
        }
        XCTAssertEqual(try manager.contentsOfDirectory(atPath: folder), ["occupied"])
        XCTAssertEqual(try AtomicFile.readAll(path: path + "/inside"), [5])
    }

    func testReadErrors() throws {
        let missing = folder + "/missing.safetensors.zst"
        XCTAssertEqual(readError(missing), .missing(path: missing))
        guard case .unreadable(folder, _)? = readError(folder) else {
            return XCTFail("reading a folder did not fail as unreadable")
        }
        try AtomicFile.write([1], to: folder + "/file")
        guard case .unreadable(_, _)? = readError(folder + "/file/below") else {
            return XCTFail("reading below a regular file did not fail as unreadable")
        }
    }

    func testStaleTemporariesOfDeadProcessesAreRemoved() throws {
        let name = "model.safetensors.zst"
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let deadPIDs = [finished.processIdentifier, Int32.max - 1]
        let stale = deadPIDs.map { ".\(name).tmp.\($0)" }
        let kept = [".\(name).tmp.\(getpid())", ".\(name).tmp.1", ".\(name).tmp.0", ".\(name).tmp.-5", ".\(name).tmp.abc",
                    ".other.tmp.\(Int32.max - 1)", name]
        for file in stale + kept {
            XCTAssertTrue(manager.createFile(atPath: folder + "/" + file, contents: Data([1])), file)
        }
        AtomicFile.removeStaleTemporaries(in: folder, for: name)
        XCTAssertEqual(Set(try manager.contentsOfDirectory(atPath: folder)), Set(kept))
        AtomicFile.removeStaleTemporaries(in: folder + "/missing", for: name)
    }

    // MARK: - Helpers

    private func writeError(_ bytes: [UInt8], to path: String) -> CheckpointError? {
        checkpointError { () throws(CheckpointError) in try AtomicFile.write(bytes, to: path) }
    }

    private func readError(_ path: String) -> CheckpointError? {
        checkpointError { () throws(CheckpointError) in try AtomicFile.readAll(path: path) }
    }
}
