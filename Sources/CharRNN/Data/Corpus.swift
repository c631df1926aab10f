import Foundation

/// A corpus tokenised with its own vocabulary (the distinct symbols of all its files, sorted by
/// code point) and split into training and validation text. Each file holds out the end that
/// `Holdout` gives it, so every file is represented in validation; files follow one another in
/// both parts, joined by the separator:
///
///     training   = head₁ ‖ sep ‖ head₂ ‖ sep ‖ … ‖ headₘ
///     validation = tail₁ ‖ sep ‖ tail₂ ‖ sep ‖ … ‖ tailₘ      (empty tails and their separators left out)
public struct Corpus: Sendable {
    public let vocabulary: Vocabulary
    public let training: CorpusIDs
    public let validation: CorpusIDs
    /// The files read, in order.
    public let sources: [CorpusSource]
    /// Size of the raw text of all files, before normalisation.
    public let byteCount: Int
    public let fingerprint: CorpusFingerprint

    init(vocabulary: Vocabulary, training: CorpusIDs, validation: CorpusIDs, sources: [CorpusSource]) {
        self.vocabulary = vocabulary
        self.training = training
        self.validation = validation
        self.sources = sources
        byteCount = sources.reduce(0) { $0 + $1.byteCount }
        fingerprint = CorpusFingerprint(files: sources.map {
            CorpusFingerprint.FileFingerprint(name: $0.file.name, byteCount: $0.byteCount, hash: $0.hash)
        })
    }

    /// Tokenises `bytes`, all of it training text; `origin` (a path) names the text in errors.
    /// - Throws: `DataError.emptyCorpus`, `.invalidUTF8` (scalars), `.normalizationNeedsUTF8`, `.singleSymbol`.
    public init(text bytes: [UInt8], tokenization: Tokenization, normalization: Normalization,
                origin: String) throws(DataError) {
        var options = CorpusOptions()
        options.tokenization = tokenization
        options.normalization = normalization
        self = try Corpus.load([SourceFile(path: origin, name: (origin as NSString).lastPathComponent)],
                               options: options, sizes: [bytes.count], open: { _ throws(DataError) in ByteReader(bytes) })
    }
}

/// One file of a corpus as it was read.
public struct CorpusSource: Sendable, Equatable {
    public let file: SourceFile
    /// Raw bytes read.
    public let byteCount: Int
    /// `CorpusFingerprint.FileFingerprint.hash` of those bytes.
    public let hash: String
    /// Its symbols, after normalisation (the separator before it not counted).
    public let characterCount: Int
    /// How many of them, at its end, are held out for validation.
    public let validationCount: Int
}

/// How files become a corpus.
public struct CorpusOptions: Sendable {
    public var tokenization = Tokenization.scalars
    public var normalization = Normalization.none
    /// Put between one file's text and the next one's (a line break by default: see `TrainingDefaults`).
    public var separator = "\n"
    public var holdout = Holdout.none
    /// Bytes read at a time: beside the ids, all the memory that encoding takes.
    var chunkSize = 1 << 22

    public init() {}
}

/// How far reading a corpus has come: bytes read of all files, and their total when known (not
/// for standard input).
public struct LoadingProgress: Sendable {
    public var bytesRead: Int
    public var totalBytes: Int?
}
