import CharRNN
import Foundation

/// Text a model starts from (`sample --prime/--prime-file`, `next TEXT`): given on the command
/// line, read from a file, or from standard input (`-`), as ids of the model's vocabulary.
struct PrimeInput {
    /// The text as given: the option's value, a file's path, or `-`.
    let text: String?
    let file: String?
    /// The flag named in errors (`--prime`, `TEXT`).
    let flag: String

    /// The ids, and the bytes to print before each sample (only a prime given on the command line
    /// is printed; one read from a file or a stream may be of any length).
    func read(for checkpoint: Checkpoint, skipUnknown: Bool) throws -> (ids: [Int32], echo: [UInt8]) {
        let bytes: [UInt8], origin: String, echo: Bool
        if let file {
            (bytes, origin, echo) = (try Corpus.readFile(atPath: file), file, false)
        } else if text == SourceFile.standardInput {
            (bytes, origin, echo) = (Array(FileHandle.standardInput.readDataToEndOfFile()), "standard input", false)
        } else {
            (bytes, origin, echo) = (Array((text ?? "").utf8), flag, true)
        }
        let (ids, unknown) = try checkpoint.vocabulary.encode(bytes: bytes, normalization: checkpoint.normalization,
                                                              origin: origin)
        if !unknown.isEmpty {
            let names = Set(unknown).sorted { $0.value < $1.value }.prefix(20).map(describe).joined(separator: ", ")
            let source = file.map { "--prime-file \($0)" } ?? (origin == flag ? flag : "\(flag) (\(origin))")
            guard skipUnknown else {
                throw CLIError("\(source) has characters the model does not know: \(names); remove them or pass --skip-unknown")
            }
            FileHandle.standardError.write(Data("charnn: note: dropped from \(source): \(names)\n".utf8))
        }
        return (ids, echo ? checkpoint.vocabulary.bytes(of: ids) : [])
    }

    private func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = "U+" + String(format: "%04X", scalar.value)
        return scalar.properties.isWhitespace || scalar.value < 0x20 ? hex : "'\(scalar)' (\(hex))"
    }
}
