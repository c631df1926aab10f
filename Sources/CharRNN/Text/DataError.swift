/// Why text could not become training data. Each `description` is one line: what is wrong,
/// where, and which flag to change.
public enum DataError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(path: String)
    case isDirectory(path: String)
    case permissionDenied(path: String)
    case unreadable(path: String, reason: String)
    /// `offset` is the byte offset of the first byte of the ill-formed sequence.
    case invalidUTF8(path: String, offset: Int)
    /// A text to score or prime with is not UTF-8, for a model of Unicode scalars.
    case invalidUTF8Text(path: String, offset: Int)
    /// Fewer than two known characters: nothing to predict.
    case nothingToScore(path: String, known: Int, unknown: Int)
    /// NFC normalisation was asked for bytes that are not UTF-8.
    case normalizationNeedsUTF8(path: String, offset: Int)
    /// A folder given as corpus in which no file is taken; `skipped` files were passed over.
    case noTextFiles(folder: String, skipped: Int)
    /// A file named as corpus holds a NUL byte at `offset` (within its first block): not text.
    case binaryFile(path: String, offset: Int)
    case emptyCorpus(path: String)
    case singleSymbol(path: String)
    /// Fewer than `need` = `batch`·`steps` + 1 ids; `role` is "training" or "validation".
    case corpusTooSmall(role: String, have: Int, need: Int, batch: Int, steps: Int)
    /// `--val-frac` `fraction` of `characters` ids leaves no validation data.
    case emptyValidation(characters: Int, fraction: Double)
    case emptyVocabulary
    case symbolNotOneScalar(index: Int, symbol: String)
    /// The code point at `index` is not greater than the one before it (unsorted or duplicate).
    case symbolsNotIncreasing(index: Int)
    /// A `bytes` vocabulary holds a symbol above U+00FF.
    case byteSymbolOutOfRange(index: Int, symbol: String)

    public var description: String {
        let corruptVocabulary = "the vocabulary (e.g. in a checkpoint) is corrupt; train again to rebuild it"
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file; check the path"
        case .isDirectory(let path):
            return "\(path): is a directory, not a text file; pass the path of one text file"
        case .permissionDenied(let path):
            return "\(path): permission denied; make the file readable (chmod +r) or pass another path"
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(reason)); check the file or pass another path"
        case .invalidUTF8(let path, let offset):
            return "\(path): invalid UTF-8 at byte offset \(offset); re-encode the file as UTF-8, "
                + "or pass --bytes to train on raw bytes"
        case .nothingToScore(let path, let known, let unknown):
            return "\(path): nothing to score: \(known) character(s) the model knows (\(unknown) unknown skipped), "
                + "and scoring needs at least 2"
        case .invalidUTF8Text(let path, let offset):
            return "\(path): invalid UTF-8 at byte offset \(offset); this model reads UTF-8 text, re-encode the file as UTF-8"
        case .normalizationNeedsUTF8(let path, let offset):
            return "\(path): cannot normalise, invalid UTF-8 at byte offset \(offset); "
                + "drop --normalize nfc to train on the raw bytes"
        case .noTextFiles(let folder, let skipped):
            let passed = skipped > 0 ? " (\(skipped) passed over: hidden, not text, or not matching --include)" : ""
            return "\(folder): no text files to train on\(passed); pass a folder holding UTF-8 text files, "
                + "or --bytes to take every file"
        case .binaryFile(let path, let offset):
            return "\(path): not a text file (NUL byte at offset \(offset)); pass --bytes to train on raw bytes, "
                + "or leave the file out"
        case .emptyCorpus(let path):
            return "\(path): the corpus is empty; pass a file with text in it"
        case .singleSymbol(let path):
            return "\(path): the corpus has only one distinct character, a model needs at least 2; "
                + "pass a longer or more varied corpus"
        case .corpusTooSmall(let role, let have, let need, let batch, let steps):
            let remedy = role == "validation"
                ? "raise --val-frac (or --val-chars), or lower --batch or --seq"
                : "lower --batch or --seq, or use a longer corpus"
            return "\(role) data has \(have) characters, but --batch \(batch) × --seq \(steps) "
                + "needs at least \(need) (batch·seq + 1); \(remedy)"
        case .emptyValidation(let characters, let fraction):
            return "validation data is empty: --val-frac \(fraction) of \(characters) characters "
                + "is less than one character; raise --val-frac"
        case .emptyVocabulary:
            return "the vocabulary is empty; \(corruptVocabulary)"
        case .symbolNotOneScalar(let index, let symbol):
            return "vocabulary symbol \(index) (\(symbol.debugDescription)) is not exactly one Unicode scalar; "
                + corruptVocabulary
        case .symbolsNotIncreasing(let index):
            return "vocabulary symbol \(index) does not come after symbol \(index - 1) in code-point order "
                + "(unsorted or duplicate); \(corruptVocabulary)"
        case .byteSymbolOutOfRange(let index, let symbol):
            return "byte vocabulary symbol \(index) (\(symbol.debugDescription)) is above U+00FF; "
                + corruptVocabulary
        }
    }
}
