import Foundation

/// One file of a corpus: where it is read from, and the name its fingerprint records.
public struct SourceFile: Sendable, Equatable {
    /// What a corpus argument of `-` reads: standard input.
    public static let standardInput = "-"

    /// The path as it is opened and named in errors; `-` for standard input.
    public let path: String
    /// The path from the argument given, starting with that argument's last component
    /// (`data/poems/a.txt` for `../data`): the same wherever the command runs.
    public let name: String

    public var isStandardInput: Bool { path == Self.standardInput }
}

/// A file a folder walk passed over, and why.
public struct SkippedFile: Sendable, Equatable {
    public enum Reason: String, Sendable {
        case hidden, notText = "not text", notIncluded = "not matching --include"
        case notRegular = "not a regular file", symlinkLoop = "symlink loop", repeated = "already included"
    }

    public let path: String
    public let reason: Reason
}

/// The files that corpus arguments name, in training order.
public struct SourceSelection: Sendable {
    public var files: [SourceFile] = []
    public var skipped: [SkippedFile] = []
}

/// Turns corpus arguments (files, folders, `-`) into files. A folder is walked recursively in
/// sorted path order (byte order of the names, so the same on every machine); in it, hidden files
/// and folders (a name starting with a dot), files not matching any `--include` pattern, files that
/// are not regular, a folder reached again (a symlink loop) and, for a `scalars` corpus, files that
/// are not text (a NUL byte in their first 8 KiB, as git and grep decide) are passed over. A file
/// named on its own is always taken, but one that is not text is an error for a `scalars` corpus.
public enum CorpusSources {
    /// Bytes read to decide whether a file is text.
    static let sniffLength = 8192

    /// - Parameter include: shell patterns (`*.txt`) matched against the file names found in
    ///   folders; none: every file.
    /// - Throws: `DataError.fileNotFound`, `.permissionDenied`, `.unreadable`, `.binaryFile`, and
    ///   `.noTextFiles` for a folder in which no file is taken.
    public static func resolve(_ arguments: [String], include: [String] = [],
                               tokenization: Tokenization = .scalars) throws(DataError) -> SourceSelection {
        var walk = Walk(include: include, sniffs: tokenization == .scalars)
        for argument in arguments {
            if argument == SourceFile.standardInput {
                walk.selection.files.append(SourceFile(path: argument, name: argument))
                continue
            }
            var status = stat()
            guard stat(argument, &status) == 0 else { throw fileError(errno, path: argument) }
            let name = URL(fileURLWithPath: argument).standardizedFileURL.lastPathComponent
            if status.st_mode & S_IFMT == S_IFDIR {
                let before = (walk.selection.files.count, walk.selection.skipped.count)
                try walk.folder(argument, name: name, status: status)
                guard walk.selection.files.count > before.0 else {
                    throw .noTextFiles(folder: argument, skipped: walk.selection.skipped.count - before.1)
                }
            } else {
                try walk.file(argument, name: name, status: status, named: true)
            }
        }
        return walk.selection
    }

    private struct Walk {
        let include: [String]
        let sniffs: Bool
        var selection = SourceSelection()
        /// (device, inode) of every folder walked and every file taken.
        var seen = Set<[UInt64]>()

        init(include: [String], sniffs: Bool) {
            self.include = include
            self.sniffs = sniffs
        }

        mutating func folder(_ path: String, name: String, status: stat) throws(DataError) {
            guard seen.insert(identity(status)).inserted else {
                return selection.skipped.append(SkippedFile(path: path, reason: .symlinkLoop))
            }
            for entry in try entries(of: path) {
                let child = path.hasSuffix("/") ? path + entry : path + "/" + entry
                if entry.hasPrefix(".") {
                    selection.skipped.append(SkippedFile(path: child, reason: .hidden))
                    continue
                }
                var status = stat()
                guard stat(child, &status) == 0 else { throw fileError(errno, path: child) }
                switch status.st_mode & S_IFMT {
                case S_IFDIR:
                    try folder(child, name: name + "/" + entry, status: status)
                case S_IFREG:
                    guard include.isEmpty || include.contains(where: { fnmatch($0, entry, 0) == 0 }) else {
                        selection.skipped.append(SkippedFile(path: child, reason: .notIncluded))
                        continue
                    }
                    try file(child, name: name + "/" + entry, status: status, named: false)
                default:
                    selection.skipped.append(SkippedFile(path: child, reason: .notRegular))
                }
            }
        }

        mutating func file(_ path: String, name: String, status: stat, named: Bool) throws(DataError) {
            guard seen.insert(identity(status)).inserted else {
                return selection.skipped.append(SkippedFile(path: path, reason: .repeated))
            }
            // Pipes and devices named on their own (`<(zcat a.gz)`) are read as streams, never sniffed.
            if sniffs, status.st_mode & S_IFMT == S_IFREG, let offset = try firstNUL(path) {
                guard !named else { throw .binaryFile(path: path, offset: offset) }
                return selection.skipped.append(SkippedFile(path: path, reason: .notText))
            }
            selection.files.append(SourceFile(path: path, name: name))
        }

        private func identity(_ status: stat) -> [UInt64] { [UInt64(status.st_dev), UInt64(status.st_ino)] }

        /// The names in a folder, sorted by their UTF-8 bytes.
        private func entries(of path: String) throws(DataError) -> [String] {
            guard let folder = opendir(path) else { throw fileError(errno, path: path) }
            defer { closedir(folder) }
            var names: [String] = []
            while let entry = readdir(folder) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                if name != ".", name != ".." { names.append(name) }
            }
            return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }

        /// The offset of the first NUL byte in the file's first `sniffLength` bytes, if any.
        private func firstNUL(_ path: String) throws(DataError) -> Int? {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw fileError(errno, path: path) }
            defer { close(descriptor) }
            var head = [UInt8](repeating: 0, count: CorpusSources.sniffLength)
            var filled = 0
            while filled < head.count {
                let result = head.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
                if result > 0 {
                    filled += result
                } else if result == 0 {
                    break
                } else if errno != EINTR {
                    throw fileError(errno, path: path)
                }
            }
            return head[..<filled].firstIndex(of: 0)
        }
    }

    static func fileError(_ code: Int32, path: String) -> DataError {
        switch code {
        case ENOENT, ENOTDIR: .fileNotFound(path: path)
        case EACCES, EPERM: .permissionDenied(path: path)
        case EISDIR: .isDirectory(path: path)
        default: .unreadable(path: path, reason: String(cString: strerror(code)))
        }
    }
}
