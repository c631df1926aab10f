#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Corpus {
    /// Reads and tokenises the file at `path`.
    /// - Throws: `DataError.fileNotFound`, `.isDirectory`, `.permissionDenied`, `.unreadable`,
    ///   and the errors of `init(text:tokenization:normalization:origin:)`.
    public static func load(path: String, tokenization: Tokenization = .scalars,
                            normalization: Normalization = .none) throws(DataError) -> Corpus {
        try Corpus(text: readFile(atPath: path), tokenization: tokenization, normalization: normalization,
                   origin: path)
    }

    /// The whole file, read with POSIX `read` (also works for pipes and other files of unknown size).
    public static func readFile(atPath path: String) throws(DataError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw fileError(errno, path: path) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw fileError(errno, path: path) }
        guard status.st_mode & S_IFMT != S_IFDIR else { throw .isDirectory(path: path) }

        // One spare byte, so that reading a regular file ends with `read` returning 0, not a regrowth.
        var bytes = [UInt8](repeating: 0, count: max(Int(status.st_size), 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let result = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if result > 0 {
                filled += result
            } else if result == 0 {
                break
            } else if errno != EINTR {
                throw fileError(errno, path: path)
            }
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    private static func fileError(_ code: Int32, path: String) -> DataError {
        switch code {
        case ENOENT, ENOTDIR: .fileNotFound(path: path)
        case EACCES, EPERM: .permissionDenied(path: path)
        case EISDIR: .isDirectory(path: path)
        default: .unreadable(path: path, reason: String(cString: strerror(code)))
        }
    }
}
