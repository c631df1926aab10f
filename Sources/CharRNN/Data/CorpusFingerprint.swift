/// Identifies the exact files a model was trained on, by their raw bytes (before any
/// normalisation): each file's name, size and FNV-1a 64-bit hash in `files`, and over them all a
/// size and hash. For one file those are the file's own (as in checkpoints older than `files`);
/// for several, the total size and the hash of the file list.
public struct CorpusFingerprint: Equatable, Sendable, Codable {
    public let byteCount: Int
    /// `"fnv1a64:"` followed by 16 lowercase hex digits.
    public let hash: String
    /// The files in training order; nil in checkpoints written before corpora had several files.
    public let files: [FileFingerprint]?

    /// One source file.
    public struct FileFingerprint: Equatable, Sendable, Codable {
        /// `SourceFile.name`: the path from the argument given.
        public let name: String
        public let byteCount: Int
        public let hash: String

        public init(name: String, byteCount: Int, hash: String) {
            (self.name, self.byteCount, self.hash) = (name, byteCount, hash)
        }
    }

    public init(byteCount: Int, hash: String, files: [FileFingerprint]? = nil) {
        self.byteCount = byteCount
        self.hash = hash
        self.files = files
    }

    public init(of bytes: [UInt8]) {
        self.init(byteCount: bytes.count, hash: Self.hex(bytes.withUnsafeBufferPointer(FNV1a.hash)))
    }

    /// The fingerprint of `files`, each already hashed.
    public init(files: [FileFingerprint]) {
        if files.count == 1 {
            self.init(byteCount: files[0].byteCount, hash: files[0].hash, files: files)
            return
        }
        var hasher = FNV1a()
        for file in files {
            let record = Array("\(file.name)\u{0}\(file.byteCount)\u{0}\(file.hash)\n".utf8)
            record.withUnsafeBufferPointer { hasher.add($0) }
        }
        self.init(byteCount: files.reduce(0) { $0 + $1.byteCount }, hash: Self.hex(hasher.value), files: files)
    }

    static func hex(_ hash: UInt64) -> String {
        let digits = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Whether a run on `self` continues one on `saved`: the same files (names, sizes, hashes) in
    /// the same order; against a checkpoint without a file list, the same size and hash.
    public func matches(_ saved: CorpusFingerprint) -> Bool {
        guard let files, let savedFiles = saved.files else {
            return byteCount == saved.byteCount && hash == saved.hash
        }
        return files == savedFiles
    }

    /// How `self` differs from `saved`, file by file, for an error message (at most `limit` items).
    public func differences(from saved: CorpusFingerprint, limit: Int = 3) -> [String] {
        guard let files, let savedFiles = saved.files else {
            return ["\(saved.byteCount) bytes (\(saved.hash)) then, \(byteCount) bytes (\(hash)) now"]
        }
        var items: [String] = []
        func shown(_ name: String) -> String { name == SourceFile.standardInput ? "standard input" : name }
        let now = Dictionary(files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let then = Dictionary(savedFiles.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for file in savedFiles {
            guard let current = now[file.name] else { items.append("\(shown(file.name)) is gone"); continue }
            if current != file {
                items.append("\(shown(file.name)) changed (\(file.byteCount) → \(current.byteCount) bytes)")
            }
        }
        for file in files where then[file.name] == nil { items.append("\(shown(file.name)) is new") }
        if items.isEmpty { items.append("the files are in another order") }
        return items.count > limit ? Array(items.prefix(limit)) + ["\(items.count - limit) more"] : items
    }
}
