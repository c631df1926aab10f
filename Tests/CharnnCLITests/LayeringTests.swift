import Foundation
import XCTest

/// scripts/check-layering.py: the folders of Sources/CharRNN in the README's order, none using a
/// type declared in a folder below it.
final class LayeringTests: XCTestCase {
    /// The repository as it is: no back-edges.
    func testSourcesHaveNoBackEdges() throws {
        let result = try check(root: Self.repository)
        XCTAssertEqual(result.status, 0, "scripts/check-layering.py found back-edges:\n\(result.output)")
    }

    /// A tree with one back-edge: Kernels/ (above) uses a type of Model/ (below). The script names
    /// that line and nothing else: not the mentions in a comment, a doc comment or a string, not
    /// the use in the other direction, not a private type that shares a name with nothing.
    func testABackEdgeIsNamedAndFails() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("LayeringTests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let readme = """
            # fake

            ## How the code is laid out

            ```
            Package.swift
            Sources/CharRNN/                 the library
              Kernels/        arithmetic
              Model/          layers
            Sources/charnn/                  the command line
            ```

            ## Development

            """
        try write(readme, to: root.appendingPathComponent("README.md"))
        try write("""
            /// Rows, not a Cell.
            public struct Rows {
                // A Cell would be wrong here.
                let name = "Cell"
                func step(_ cell: Cell) {}
            }

            """, to: root.appendingPathComponent("Sources/CharRNN/Kernels/Rows.swift"))
        try write("""
            public enum Cell { case lstm, gru }
            private struct Helper {}
            extension Cell { var rows: Rows? { nil } }

            """, to: root.appendingPathComponent("Sources/CharRNN/Model/Cell.swift"))

        let result = try check(root: root.path)
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertEqual(result.output, "Kernels/Rows.swift:5 uses Cell (Model), below Kernels\n")
    }

    // MARK: - Running the script

    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    private func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Runs the script on the repository at `root`; its stdout and stderr together, and its exit status.
    private func check(root: String) throws -> (output: String, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.repository + "/scripts/check-layering.py", root]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), process.terminationStatus)
    }
}
