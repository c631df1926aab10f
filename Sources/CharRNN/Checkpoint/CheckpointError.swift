/// Why a checkpoint could not be read or written. Every case names the file; `description` is one
/// line saying what is wrong, where, and what to do about it.
///
/// The list of cases is open: code that switches over it should keep a `default` branch.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// No file at `path` (ENOENT).
    case missing(path: String)
    /// The file exists but cannot be read (a folder, no permission, I/O error).
    case unreadable(path: String, reason: String)
    /// The file has no bytes at all.
    case empty(path: String)
    /// The file does not start with the zstd frame magic number 0xFD2FB528.
    case notZstd(path: String)
    /// The zstd frame is truncated, damaged, fails its checksum or is followed by trailing bytes.
    case corruptFrame(path: String, reason: String)
    /// The frame declares more decompressed bytes than the caller allows (a decompression bomb).
    case tooLarge(path: String, declared: UInt64, limit: Int)
    /// The safetensors header length does not fit in the file.
    case headerLengthOutOfRange(path: String, length: UInt64, fileSize: Int)
    /// The safetensors header is not a UTF-8 JSON object of the expected shape.
    case malformedHeader(path: String, reason: String)
    /// A tensor is stored in a dtype other than `F32`.
    case unsupportedDtype(path: String, tensor: String, dtype: String)
    /// A tensor's `data_offsets` reach past the end of the data section.
    case tensorOutOfRange(path: String, tensor: String)
    /// Two tensors share bytes of the data section.
    case overlappingTensors(path: String, first: String, second: String)
    /// Bytes of the data section belong to no tensor (a gap, or data after the last tensor).
    case unaccountedBytes(path: String, offset: Int, count: Int)
    /// A tensor's byte count is not 4 × the product of its shape.
    case byteCountMismatch(path: String, tensor: String, shape: [Int], byteCount: Int)
    /// A tensor does not have the shape (or element count) the reader expects.
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])
    /// A tensor the reader needs is absent.
    case missingTensor(path: String, tensor: String)
    /// The checkpoint's format tag or version is not one this build reads.
    case unsupportedFormat(path: String, found: String, supported: String)
    /// A `__metadata__` entry is absent, not a string, or cannot be interpreted.
    case badMetadata(path: String, key: String, reason: String)
    /// Writing, syncing or renaming the file failed.
    case writeFailed(path: String, reason: String)
    /// No path was given and none of the default places holds a checkpoint.
    case noneFound(candidates: [String])
    /// A command that generates or scores text was given a restoration model.
    case notLanguageModel(path: String, task: String)
    /// An ensemble manifest that cannot be read, names no member, or whose members do not share a vocabulary.
    case badEnsemble(path: String, reason: String)
    /// A command that runs one model was given an ensemble manifest; `member` is the best member's checkpoint.
    case ensembleNotSupported(path: String, member: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .missing(let path), .unreadable(let path, _), .empty(let path), .notZstd(let path),
             .corruptFrame(let path, _), .tooLarge(let path, _, _), .headerLengthOutOfRange(let path, _, _),
             .malformedHeader(let path, _), .unsupportedDtype(let path, _, _), .tensorOutOfRange(let path, _),
             .overlappingTensors(let path, _, _), .unaccountedBytes(let path, _, _),
             .byteCountMismatch(let path, _, _, _), .shapeMismatch(let path, _, _, _),
             .missingTensor(let path, _), .unsupportedFormat(let path, _, _), .badMetadata(let path, _, _),
             .writeFailed(let path, _), .notLanguageModel(let path, _), .badEnsemble(let path, _),
             .ensembleNotSupported(let path, _):
            return path
        case .noneFound(let candidates):
            return candidates.first ?? ""
        }
    }

    public var description: String {
        let corrupt = "the file is corrupt or truncated; restore it or use an earlier checkpoint"
        switch self {
        case .missing(let path):
            return "\(path): no such checkpoint; check the path, or train first to create one"
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(shown(reason))); pass a readable checkpoint file"
        case .empty(let path):
            return "\(path): the file is empty (it was never written completely); use an earlier checkpoint"
        case .notZstd(let path):
            return "\(path): not zstd-compressed (no zstd magic number); pass a .safetensors.zst checkpoint"
        case .corruptFrame(let path, let reason):
            return "\(path): damaged zstd frame (\(shown(reason))); \(corrupt)"
        case .tooLarge(let path, let declared, let limit):
            return "\(path): declares \(declared) decompressed bytes, above the limit of \(limit), so it is not "
                + "decompressed; it is not a charnn checkpoint or it is corrupt"
        case .headerLengthOutOfRange(let path, let length, let fileSize):
            return "\(path): declares a \(length)-byte safetensors header in \(fileSize) bytes of content; \(corrupt)"
        case .malformedHeader(let path, let reason):
            return "\(path): invalid safetensors header (\(shown(reason))); \(corrupt)"
        case .unsupportedDtype(let path, let tensor, let dtype):
            return "\(path): tensor '\(shown(tensor))' has dtype \(shown(dtype)) but only F32 is supported; convert it to float32"
        case .tensorOutOfRange(let path, let tensor):
            return "\(path): tensor '\(shown(tensor))' reaches past the end of the data; \(corrupt)"
        case .overlappingTensors(let path, let first, let second):
            return "\(path): tensors '\(shown(first))' and '\(shown(second))' overlap; \(corrupt)"
        case .unaccountedBytes(let path, let offset, let count):
            return "\(path): \(count) bytes at data offset \(offset) belong to no tensor; \(corrupt)"
        case .byteCountMismatch(let path, let tensor, let shape, let byteCount):
            return "\(path): tensor '\(shown(tensor))' has shape \(shown(shape)) but \(byteCount) bytes of data; \(corrupt)"
        case .shapeMismatch(let path, let tensor, let expected, let found):
            return "\(path): tensor '\(shown(tensor))' has shape \(shown(found)) where \(shown(expected)) is expected; "
                + "the checkpoint belongs to another model configuration, use matching options"
        case .missingTensor(let path, let tensor):
            return "\(path): tensor '\(shown(tensor))' is missing; "
                + "the checkpoint belongs to another model configuration or is incomplete"
        case .unsupportedFormat(let path, let found, let supported):
            return "\(path): format '\(shown(found))', but this charnn reads '\(supported)'; use a matching charnn version"
        case .badMetadata(let path, let key, let reason):
            return "\(path): metadata '\(shown(key))' is invalid (\(shown(reason))); the checkpoint is corrupt or not from charnn"
        case .writeFailed(let path, let reason):
            return "\(path): could not write (\(shown(reason))); check that the folder exists, is writable and has free space"
        case .noneFound(let candidates):
            return "no checkpoint found (looked at ./\(candidates.joined(separator: " and ./"))); "
                + "train one with `charnn train corpus.txt`, or pass --checkpoint PATH"
        case .notLanguageModel(let path, let task):
            return "\(path): a restoration model (task \(shown(task))), not a language model; "
                + "use `charnn restore --checkpoint \(path)`, or train a language model without --task"
        case .badEnsemble(let path, let reason):
            return "\(path): not a usable ensemble (\(shown(reason))); retrain it, or pass one member's checkpoint"
        case .ensembleNotSupported(let path, let member):
            return "\(path): an ensemble, and this command runs one model; pass --checkpoint \(member) (its best member)"
        }
    }

    /// Text from the file, fit for a one-line message: control characters (line breaks, escape
    /// sequences) and other invisible or line-breaking scalars escaped as `\u{…}`, and at most
    /// `limit` characters kept. A file can name a tensor anything, and 20,000 characters long.
    private func shown(_ text: String, limit: Int = 200) -> String {
        var output = ""
        var kept = 0
        for scalar in text.unicodeScalars {
            guard kept < limit else { return output + "… (\(text.unicodeScalars.count) characters)" }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator:
                output += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default:
                output.unicodeScalars.append(scalar)
            }
            kept += 1
        }
        return output
    }

    /// A shape from the file, at most 8 dimensions of it.
    private func shown(_ shape: [Int]) -> String {
        guard shape.count > 8 else { return "\(shape)" }
        return "[" + shape.prefix(8).map(String.init).joined(separator: ", ") + ", … (\(shape.count) dimensions)]"
    }
}
