import Foundation
import Glibc

/// Crash-safe whole-file writes and plain whole-file reads.
///
/// `write` puts the bytes in `.NAME.tmp.PID` next to the target, syncs it, renames it over the
/// target and syncs the folder: after a crash the target holds either the old or the new content.
public enum AtomicFile {
    /// Atomically replaces the file at `path` with `bytes`. On failure the temporary file is removed
    /// and the previous file at `path` is untouched.
    ///
    /// - Throws: `.writeFailed` with the system's reason (missing or read-only folder, disk full, …).
    public static func write(_ bytes: [UInt8], to path: String) throws(CheckpointError) {
        let (folder, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw .writeFailed(path: path, reason: "the path does not name a file")
        }
        let temporary = folder + "/" + temporaryPrefix(for: name) + String(getpid())
        func failure(_ step: String, _ code: Int32) -> CheckpointError {
            .writeFailed(path: path, reason: "\(step): \(systemMessage(code))")
        }

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create '\(temporary)'", errno) }
        var written = 0
        var failed: CheckpointError?
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let result = Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result > 0 {
                    written += result
                } else if result == 0 {
                    failed = .writeFailed(path: path, reason: "writing '\(temporary)' made no progress")
                    return
                } else if errno != EINTR {
                    failed = failure("cannot write '\(temporary)'", errno)
                    return
                }
            }
        }
        if failed == nil, syncRetryingInterrupts(descriptor) != 0 {
            failed = failure("cannot sync '\(temporary)'", errno)
        }
        // Linux closes the descriptor even when close fails, so it is never retried.
        if close(descriptor) != 0, failed == nil {
            failed = failure("cannot close '\(temporary)'", errno)
        }
        if failed == nil, rename(temporary, path) != 0 {
            failed = failure("cannot rename '\(temporary)' over it", errno)
        }
        if let failed {
            unlink(temporary)
            throw failed
        }

        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folderDescriptor >= 0 else { throw failure("written, but cannot open the folder to sync it", errno) }
        defer { close(folderDescriptor) }
        // Some file systems cannot sync folders (EINVAL); the rename is then as durable as they allow.
        if syncRetryingInterrupts(folderDescriptor) != 0, errno != EINVAL {
            throw failure("written, but syncing the folder failed", errno)
        }
    }

    /// Deletes `.NAME.tmp.PID` files in `folder` left by killed processes, i.e. whose PID is no
    /// longer alive (`kill(pid, 0)` fails with ESRCH). Temporaries of live processes are kept.
    /// Errors are ignored: this is housekeeping.
    public static func removeStaleTemporaries(in folder: String, for name: String) {
        let prefix = temporaryPrefix(for: name)
        guard let children = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for child in children where child.hasPrefix(prefix) {
            let suffix = child.dropFirst(prefix.count)
            guard suffix.allSatisfy({ $0.isASCII && $0.isNumber }), let pid = pid_t(suffix), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                unlink(folder + "/" + child)
            }
        }
    }

    /// The whole content of the file at `path`.
    ///
    /// - Throws: `.missing` (ENOENT), `.unreadable` (a folder, no permission, I/O error).
    public static func readAll(path: String) throws(CheckpointError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw .missing(path: path) }
            throw .unreadable(path: path, reason: systemMessage(code))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable(path: path, reason: systemMessage(errno)) }
        guard status.st_mode & S_IFMT != S_IFDIR else { throw .unreadable(path: path, reason: "it is a folder") }

        var content: [UInt8] = []
        content.reserveCapacity(Int(max(status.st_size, 0)))
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let result = read(descriptor, chunk.baseAddress, chunk.count)
            if result > 0 {
                content.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[..<result]))
            } else if result == 0 {
                return content
            } else if errno != EINTR {
                throw .unreadable(path: path, reason: systemMessage(errno))
            }
        }
    }

    // MARK: - Implementation details

    private static func temporaryPrefix(for name: String) -> String { "." + name + ".tmp." }

    /// (folder, last component); the folder is "." for a bare name.
    private static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    private static func syncRetryingInterrupts(_ descriptor: Int32) -> Int32 {
        var result: Int32
        repeat { result = fsync(descriptor) } while result != 0 && errno == EINTR
        return result
    }

    private static func systemMessage(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
