#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

extension Corpus {
    /// Reads and tokenises the one file at `path`, all of it training text.
    /// - Throws: `DataError.fileNotFound`, `.isDirectory`, `.permissionDenied`, `.unreadable`,
    ///   and the errors of `init(text:tokenization:normalization:origin:)`.
    public static func load(path: String, tokenization: Tokenization = .scalars,
                            normalization: Normalization = .none) throws(DataError) -> Corpus {
        var options = CorpusOptions()
        options.tokenization = tokenization
        options.normalization = normalization
        let name = URL(fileURLWithPath: path).lastPathComponent
        return try load([SourceFile(path: path, name: name)], options: options)
    }

    /// Reads `files` in chunks of `options.chunkSize` bytes, encoding each straight into ids, so
    /// that memory holds the ids (one byte each for up to 256 symbols) and one chunk, never a
    /// file's bytes; then splits off each file's held-out end in place. `progress` hears of every
    /// chunk read.
    /// - Throws: the file errors of `CorpusSources`, `.invalidUTF8` naming the file and the byte
    ///   offset, `.normalizationNeedsUTF8`, `.emptyCorpus`, `.singleSymbol`.
    public static func load(_ files: [SourceFile], options: CorpusOptions,
                            progress: ((LoadingProgress) -> Void)? = nil) throws(DataError) -> Corpus {
        // Sizes from stat, not from open files: a folder of thousands of files would run out of descriptors.
        try load(files, options: options, progress: progress, sizes: files.map(ByteReader.size)) { file throws(DataError) in
            try ByteReader(file)
        }
    }

    /// `sizes`: each file's byte count when known beforehand (for the progress total and to
    /// reserve the ids at once); `open` opens a file when its turn comes.
    static func load(_ files: [SourceFile], options: CorpusOptions, progress: ((LoadingProgress) -> Void)? = nil,
                     sizes: [Int?]? = nil, open: (SourceFile) throws(DataError) -> ByteReader) throws(DataError) -> Corpus {
        let sizes = sizes ?? files.map { _ in nil }
        let total: Int? = sizes.contains(nil) ? nil : sizes.reduce(0) { $0 + $1! }
        let separator = Array(options.separator.utf8)
        var loader = Loader(options: options, capacity: (total ?? 1 << 20) + separator.count * files.count)
        loader.progress = progress.map { report in { report(LoadingProgress(bytesRead: $0, totalBytes: total)) } }
        for file in files {
            var reader = try open(file)
            try loader.read(file, from: &reader, separator: separator)
        }
        return try loader.finish(describing: files)
    }
}

/// The bytes of one source: an open file or pipe, or (for tests and in-memory text) an array.
struct ByteReader {
    private let descriptor: Int32
    private let memory: [UInt8]?
    private var position = 0
    /// Size in bytes when known beforehand (a regular file, an array).
    let size: Int?

    init(_ bytes: [UInt8]) {
        descriptor = -1
        memory = bytes
        size = bytes.count
    }

    /// The size of a regular file, from `stat`; nil for standard input, pipes and what cannot be read
    /// (opening it then names the error).
    static func size(of file: SourceFile) -> Int? {
        var status = stat()
        guard !file.isStandardInput, stat(file.path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(status.st_size)
    }

    init(_ file: SourceFile) throws(DataError) {
        memory = nil
        if file.isStandardInput {
            descriptor = STDIN_FILENO
            size = nil
            return
        }
        descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CorpusSources.fileError(errno, path: file.path) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw CorpusSources.fileError(errno, path: file.path) }
        guard status.st_mode & S_IFMT != S_IFDIR else { throw .isDirectory(path: file.path) }
        size = status.st_mode & S_IFMT == S_IFREG ? Int(status.st_size) : nil
    }

    /// Fills the start of `buffer`; returns the bytes read, 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer, path: String) throws(DataError) -> Int {
        if let memory {
            let count = min(buffer.count, memory.count - position)
            memory.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[position..<(position + count)])) }
            position += count
            return count
        }
        while true {
            let result = readBytes(descriptor, buffer.baseAddress!, buffer.count)
            if result >= 0 { return result }
            if errno != EINTR { throw CorpusSources.fileError(errno, path: path) }
        }
    }

    func close() {
        if descriptor > STDIN_FILENO { closeDescriptor(descriptor) }
    }
}

// The system calls under names that `ByteReader`'s own methods do not hide.
private func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

private func closeDescriptor(_ descriptor: Int32) { close(descriptor) }

/// The state of one corpus load: the encoder, where each file's text lies in it, the chunk buffer.
private struct Loader {
    let options: CorpusOptions
    var encoder: CorpusEncoder
    var progress: ((Int) -> Void)?
    private var bytesRead = 0
    private var units: [Unit] = []
    /// Whether a file before the one being read had text: the next text gets a separator first.
    private var hasText = false
    private var sources: [(file: SourceFile, bytes: Int, hash: String)] = []

    /// One file in the encoded ids: `separatorCount` ids of the separator (none before the first
    /// text), then `textCount` ids of its text.
    struct Unit {
        var start: Int
        var separatorCount = 0
        var textCount = 0
    }

    init(options: CorpusOptions, capacity: Int) {
        self.options = options
        encoder = CorpusEncoder(tokenization: options.tokenization, capacity: capacity)
    }

    mutating func read(_ file: SourceFile, from reader: inout ByteReader, separator: [UInt8]) throws(DataError) {
        defer { reader.close() }
        let path = file.isStandardInput ? "standard input" : file.path
        var buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: options.chunkSize)
        defer { buffer.deallocate() }
        var hasher = FNV1a()
        var unit = Unit(start: encoder.count)
        var held = 0, offset = 0, atEnd = false, fileBytes = 0
        while !atEnd {
            if held == buffer.count {
                // NFC found no safe cut in a whole buffer (one endless line of non-ASCII): widen it.
                let wider = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 2 * buffer.count)
                _ = wider.update(fromContentsOf: buffer)
                buffer.deallocate()
                buffer = wider
            }
            let count = try reader.read(into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[held...])),
                                        path: path)
            if count == 0 {
                atEnd = true
            } else {
                hasher.add(UnsafeBufferPointer(rebasing: buffer[held..<(held + count)]))
                held += count
                fileBytes += count
                bytesRead += count
                progress?(bytesRead)
            }
            let bytes = UnsafeBufferPointer(rebasing: buffer[0..<held])
            let cut = atEnd ? held : encodable(bytes)
            guard cut > 0 else { continue }
            if unit.textCount == 0, hasText {
                try encode(separator, at: 0, path: "--separator")
                unit.separatorCount = encoder.count - unit.start
            }
            let before = encoder.count
            try encode(UnsafeBufferPointer(rebasing: bytes[0..<cut]), at: offset, path: path)
            unit.textCount += encoder.count - before
            // The bytes after the cut start the next piece.
            buffer.baseAddress!.update(from: buffer.baseAddress! + cut, count: held - cut)
            held -= cut
            offset += cut
        }
        units.append(unit)
        hasText = hasText || unit.textCount > 0
        sources.append((file, fileBytes, CorpusFingerprint.hex(hasher.value)))
    }

    /// How many of the bytes held can be encoded now without looking at the ones still to come.
    private func encodable(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        if options.normalization == .nfc { return Normalization.lastSafeCut(in: bytes) ?? 0 }
        return options.tokenization == .scalars ? StrictUTF8.completePrefixLength(bytes) : bytes.count
    }

    private mutating func encode(_ bytes: [UInt8], at offset: Int, path: String) throws(DataError) {
        try bytes.withUnsafeBufferPointer { (bytes) throws(DataError) in try encode(bytes, at: offset, path: path) }
    }

    /// `offset`: where `bytes` start in the file, for errors.
    private mutating func encode(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, path: String) throws(DataError) {
        if options.normalization == .nfc, !StrictUTF8.isASCII(bytes) {  // ASCII is already NFC
            if let bad = StrictUTF8.firstInvalidOffset(bytes) {
                throw .normalizationNeedsUTF8(path: path, offset: offset + bad)
            }
            let normalized = Array(String(decoding: bytes, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
            _ = normalized.withUnsafeBufferPointer { encoder.append($0) }  // valid UTF-8: never ill-formed
        } else if let bad = encoder.append(bytes) {
            throw .invalidUTF8(path: path, offset: offset + bad)
        }
    }

    /// The vocabulary, and each file's held-out end moved to the validation ids.
    mutating func finish(describing files: [SourceFile]) throws(DataError) -> Corpus {
        let name = files.count == 1 ? files[0].path : "the \(files.count) corpus files"
        guard encoder.count > 0 else { throw .emptyCorpus(path: name) }
        let vocabulary = encoder.finish()
        guard vocabulary.count >= 2 else { throw .singleSymbol(path: name) }
        let holdouts = options.holdout.counts(characters: units.map(\.textCount))
        let (training, validation) = switch encoder.column {
        case .uint8(let ids): Self.split(ids, units: units, holdouts: holdouts, into: { .uint8($0) })
        case .uint16(let ids): Self.split(ids, units: units, holdouts: holdouts, into: { .uint16($0) })
        case .uint32(let ids): Self.split(ids, units: units, holdouts: holdouts, into: { .uint32($0) })
        }
        var corpusSources: [CorpusSource] = []
        for (index, source) in sources.enumerated() {
            corpusSources.append(CorpusSource(file: source.file, byteCount: source.bytes, hash: source.hash,
                                              characterCount: units[index].textCount, validationCount: holdouts[index]))
        }
        return Corpus(vocabulary: vocabulary, training: training, validation: validation, sources: corpusSources)
    }

    /// Copies each unit's last `holdouts[i]` text ids to a new storage (joined by the separator),
    /// then closes the gaps they leave, moving the training ids down in place.
    private static func split<ID>(_ ids: IDStorage<ID>, units: [Unit], holdouts: [Int],
                                  into column: (IDStorage<ID>) -> CorpusIDs.Storage) -> (CorpusIDs, CorpusIDs) {
        let separator = units.first { $0.separatorCount > 0 }.map {
            Array(UnsafeBufferPointer(start: ids.base + $0.start, count: $0.separatorCount))
        } ?? []
        let held = holdouts.reduce(0, +)
        let validation = IDStorage<ID>(capacity: held + separator.count * units.count)
        for (unit, count) in zip(units, holdouts) where count > 0 {
            if validation.count > 0 {
                (validation.base + validation.count).update(from: separator, count: separator.count)
                validation.count += separator.count
            }
            let tail = ids.base + unit.start + unit.separatorCount + unit.textCount - count
            (validation.base + validation.count).update(from: tail, count: count)
            validation.count += count
        }
        if held > 0 {
            var kept = 0
            for (unit, count) in zip(units, holdouts) {
                let length = unit.separatorCount + unit.textCount - count
                (ids.base + kept).update(from: ids.base + unit.start, count: length)  // kept ≤ start: a move down
                kept += length
            }
            ids.count = kept
        }
        ids.shrinkToFit()
        validation.shrinkToFit()
        return (CorpusIDs(storage: column(ids)), CorpusIDs(storage: column(validation)))
    }
}

extension Corpus {
    /// The whole file, read with POSIX `read` (also works for pipes and other files of unknown size).
    public static func readFile(atPath path: String) throws(DataError) -> [UInt8] {
        var reader = try ByteReader(SourceFile(path: path, name: path))
        defer { reader.close() }
        var bytes = [UInt8](repeating: 0, count: (reader.size ?? 1 << 16) + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let count = try bytes.withUnsafeMutableBytes { buffer in
                Result { () throws(DataError) in
                    try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), path: path)
                }
            }.get()
            if count == 0 { break }
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }
}
