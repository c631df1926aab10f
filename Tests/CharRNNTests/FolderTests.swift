import Foundation
import XCTest
@testable import CharRNN

/// `Folder.create`: `mkdir -p`, with its failures as `FolderError`s whose descriptions are the
/// messages the commands print inside their own.
final class FolderTests: XCTestCase {
    private var folder = ""

    override func setUp() { folder = makeTemporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func testCreatesMissingParentsAndAcceptsExistingFolders() throws {
        let path = folder + "/a/b/c"
        try Folder.create(path)
        try Folder.create(path)
        var isFolder: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue)
    }

    func testAFileOnTheWayIsNamed() throws {
        let file = folder + "/plain"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        XCTAssertThrowsError(try Folder.create(file + "/ck")) { error in
            XCTAssertEqual(error as? FolderError, .notAFolder(path: file))
            XCTAssertEqual("\(error)", "\(file) is a file, not a folder")
        }
    }

    func testMkdirFailureCarriesTheSystemsReason() throws {
        XCTAssertThrowsError(try Folder.create("/proc/charnn-cannot-be-here")) { error in
            guard case .cannotCreate(let path, let reason)? = error as? FolderError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, "/proc/charnn-cannot-be-here")
            XCTAssertEqual("\(error)", "cannot create /proc/charnn-cannot-be-here: \(reason)")
        }
    }
}
