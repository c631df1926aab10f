import CheckpointSurgery
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CharRNN

/// A real checkpoint (trained two steps: weights, Adam's moments, the carried LSTM state) damaged
/// every way a disk, a network or a hostile author can: every truncation, every byte flipped,
/// crafted headers, a decompression bomb and a model that would not fit in memory. Each must end
/// in a specific `CheckpointError`, never a trap and never an allocation the file cannot back.
final class CheckpointRobustnessTests: XCTestCase {
    private var folder = ""
    private let path = "untrusted.safetensors.zst"

    override func setUp() {
        folder = makeTemporaryFolder()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: - Damage to the compressed file

    func testEveryTruncationOfTheCompressedFileIsRejected() throws {
        let compressed = try realCheckpoint().compressed
        for length in 0..<compressed.count {
            let error = loadError(Array(compressed[..<length]))
            if length == 0 {
                XCTAssertEqual(error, .empty(path: path))
            } else if case .corruptFrame(path, _)? = error {
                continue
            } else {
                XCTFail("prefix of \(length) of \(compressed.count) bytes: \(String(describing: error))")
            }
        }
        // Through the file system: the error names the file that was read.
        for length in [0, 1, 4, 5, 13, compressed.count / 2, compressed.count - 4, compressed.count - 1] {
            let file = folder + "/cut-\(length).safetensors.zst"
            try Data(compressed[..<length]).write(to: URL(fileURLWithPath: file))
            guard let error = readError(file) else {
                XCTFail("Checkpoint.read accepted a prefix of \(length) bytes")
                continue
            }
            XCTAssertEqual(error.path, file)
            XCTAssertTrue(error.description.contains(file), error.description)
        }
    }

    /// The XXH64 content checksum (and the frame's own structure) catch any damaged byte.
    func testEveryFlippedByteOfTheCompressedFileIsRejected() throws {
        let compressed = try realCheckpoint().compressed
        var positions = Array(compressed.indices)
        if positions.count > 4096 {
            var random = SplitMix64(seed: 17)
            let sampled = (0..<2000).map { _ in Int(random.next() % UInt64(compressed.count)) }
            positions = Array(Set(Array(0..<64) + Array(compressed.indices.suffix(16)) + sampled)).sorted()
        }
        for position in positions {
            var damaged = compressed
            damaged[position] ^= 0xFF
            switch loadError(damaged) {
            case nil:
                XCTFail("byte \(position) flipped: the checkpoint still loads")
            case .notZstd(path)?:
                XCTAssertLessThan(position, 4, "notZstd for a flip after the magic number")
            case let error?:
                XCTAssertEqual(error.path, path)
                XCTAssertGreaterThanOrEqual(position, 4, "a damaged magic number gave \(error)")
            }
        }
    }

    // MARK: - Damage to the safetensors content

    /// A flipped header byte: whenever the header stops being JSON the error is `malformedHeader`;
    /// when a metadata value stops being JSON, `badMetadata` for that key; otherwise any error, or a
    /// checkpoint (a renamed vocabulary symbol can still be a valid file). Never a trap.
    func testEveryFlippedHeaderByteIsRejectedOrHarmless() throws {
        let raw = try realCheckpoint().raw
        let dataStart = 8 + Int(littleEndianLength(raw))
        var checkedMalformed = 0, checkedMetadata = 0
        for mask: UInt8 in [0xFF, 0x01, 0x20] {
            for position in 0..<dataStart {
                var damaged = raw
                damaged[position] ^= mask
                let error = decodeError(damaged)
                let what = "byte \(position) ^ 0x\(String(mask, radix: 16))"
                if position < 8 {
                    XCTAssertNotNil(error, "\(what): a changed header length was accepted")
                    continue
                }
                let header = damaged[8..<dataStart]
                guard let object = jsonObject(header) else {
                    checkedMalformed += 1
                    guard case .malformedHeader(path, _)? = error else {
                        XCTFail("\(what): the header is no longer JSON, but the error is \(String(describing: error))")
                        continue
                    }
                    continue
                }
                guard let metadata = object[Safetensors.metadataKey] as? [String: String] else { continue }
                for key in ["config", "vocab", "training"] {
                    guard let text = metadata[key], jsonValue(Array(text.utf8)) == nil else { continue }
                    checkedMetadata += 1
                    guard case .badMetadata(path, key, _)? = error else {
                        XCTFail("\(what): metadata '\(key)' is no longer JSON, but the error is \(String(describing: error))")
                        continue
                    }
                }
            }
        }
        XCTAssertGreaterThan(checkedMalformed, 100, "too few flips broke the header JSON to test anything")
        XCTAssertGreaterThan(checkedMetadata, 10, "too few flips broke a metadata value to test anything")
    }

    /// A flipped data byte changes exactly one stored value and nothing else. A reader may refuse
    /// a value that became NaN or infinite, but no other.
    func testFlippedDataBytesChangeExactlyOneValue() throws {
        let raw = try realCheckpoint().raw
        let dataStart = 8 + Int(littleEndianLength(raw))
        let original = try Checkpoint.decode(raw, path: path)
        let originalValues = storedValues(original)
        XCTAssertEqual(originalValues.count * 4, raw.count - dataStart, "the test's view of the data section")

        var random = SplitMix64(seed: 99)
        for _ in 0..<400 {
            let position = dataStart + Int(random.next() % UInt64(raw.count - dataStart))
            let mask = UInt8(truncatingIfNeeded: random.next() % 255 + 1)
            var damaged = raw
            damaged[position] ^= mask
            let index = (position - dataStart) / 4
            var flipped = originalValues[index]
            flipped ^= UInt32(mask) << (8 * UInt32((position - dataStart) % 4))
            do {
                let values = storedValues(try Checkpoint.decode(damaged, path: path))
                let changed = values.indices.filter { values[$0] != originalValues[$0] }
                XCTAssertEqual(changed, [index], "byte \(position): changed values \(changed.prefix(5))")
                XCTAssertEqual(values[index], flipped, "byte \(position)")
            } catch {
                XCTAssertFalse(Float(bitPattern: flipped).isFinite,
                               "byte \(position): the finite value \(Float(bitPattern: flipped)) was refused: \(error)")
            }
        }
    }

    func testTruncatedContentIsRejected() throws {
        let raw = try realCheckpoint().raw
        let dataStart = 8 + Int(littleEndianLength(raw))
        let lengths = Array(0..<(dataStart + 16)) + Array(stride(from: dataStart + 16, to: raw.count, by: 61)) + [raw.count - 1]
        for length in lengths {
            XCTAssertNotNil(decodeError(Array(raw[..<length])), "a prefix of \(length) of \(raw.count) bytes decoded")
        }
    }

    // MARK: - Crafted checkpoints

    func testSurgeryWithoutChangesDecodesToTheSameCheckpoint() throws {
        let raw = try realCheckpoint().raw
        let rebuilt = try SafetensorsSurgery(raw).encoded()
        let original = try Checkpoint.decode(raw, path: path)
        let again = try Checkpoint.decode(rebuilt, path: path)
        XCTAssertEqual(storedValues(again), storedValues(original))
        XCTAssertEqual(again.config, original.config)
        XCTAssertEqual(again.vocabulary, original.vocabulary)
        XCTAssertEqual(again.training, original.training)
    }

    func testHeaderLengthBeyondTheFile() throws {
        var bytes = try SafetensorsSurgery(try realCheckpoint().raw).encoded()
        let length = UInt64(bytes.count)
        for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(index))) }
        XCTAssertEqual(decodeError(bytes), .headerLengthOutOfRange(path: path, length: length, fileSize: bytes.count))
    }

    func testTensorOffsetsBeyondTheData() throws {
        let surgery = try SafetensorsSurgery(try realCheckpoint().raw)
        let last = try XCTUnwrap(surgery.tensors.last)
        let bytes = try surgery.encoded { header in
            header[last.name] = ["dtype": "F32", "shape": last.shape,
                                 "data_offsets": [surgery.dataCount - last.data.count + 8, surgery.dataCount + 8]]
        }
        XCTAssertEqual(decodeError(bytes), .tensorOutOfRange(path: path, tensor: last.name))
    }

    func testOverlappingTensors() throws {
        let surgery = try SafetensorsSurgery(try realCheckpoint().raw)
        let (first, second) = (surgery.tensors[0], surgery.tensors[1])
        let bytes = try surgery.encoded { header in
            let begin = first.data.count - 4
            header[second.name] = ["dtype": "F32", "shape": second.shape,
                                   "data_offsets": [begin, begin + second.data.count]]
        }
        XCTAssertEqual(decodeError(bytes), .overlappingTensors(path: path, first: first.name, second: second.name))
    }

    /// The same byte count in another shape: only the model's configuration can tell.
    func testTensorShapeDisagreeingWithTheConfig() throws {
        var surgery = try SafetensorsSurgery(try realCheckpoint().raw)
        let name = "rnn.weight_hh_l0"
        let index = try XCTUnwrap(surgery.index(of: name))
        let shape = surgery.tensors[index].shape
        XCTAssertEqual(shape.count, 2)
        surgery.tensors[index].shape = shape.reversed()
        XCTAssertEqual(decodeError(try surgery.encoded()),
                       .shapeMismatch(path: path, tensor: name, expected: shape, found: shape.reversed()))
    }

    func testHalfPrecisionTensor() throws {
        var surgery = try SafetensorsSurgery(try realCheckpoint().raw)
        let index = try XCTUnwrap(surgery.index(of: "decoder.bias"))
        surgery.tensors[index].dtype = "F16"
        XCTAssertEqual(decodeError(try surgery.encoded()),
                       .unsupportedDtype(path: path, tensor: "decoder.bias", dtype: "F16"))
    }

    func testMalformedHeaderJSON() throws {
        var bytes = try SafetensorsSurgery(try realCheckpoint().raw).encoded()
        let dataStart = 8 + Int(littleEndianLength(bytes))
        let closing = try XCTUnwrap(bytes[8..<dataStart].lastIndex(of: UInt8(ascii: "}")))
        bytes[closing] = UInt8(ascii: " ")
        guard case .malformedHeader(path, _)? = decodeError(bytes) else {
            return XCTFail("an unterminated header gave \(String(describing: decodeError(bytes)))")
        }
    }

    /// One symbol more than the embedding has rows.
    func testVocabularyLongerThanTheEmbedding() throws {
        var surgery = try SafetensorsSurgery(try realCheckpoint().raw)
        var symbols = try XCTUnwrap(surgery.json("vocab") as? [String])
        let rows = symbols.count
        symbols.append("\u{1F600}")
        try surgery.setJSON("vocab", symbols)
        XCTAssertEqual(decodeError(try surgery.encoded()),
                       .badMetadata(path: path, key: "vocab",
                                    reason: "\(rows + 1) characters, but embedding.weight has \(rows) rows"))
    }

    func testMissingTensors() throws {
        for name in ["decoder.bias", "rnn.weight_ih_l0", "optimizer.v.rnn.bias_hh_l0", "training.state_c"] {
            var surgery = try SafetensorsSurgery(try realCheckpoint().raw)
            let index = try XCTUnwrap(surgery.index(of: name), name)
            surgery.tensors.remove(at: index)
            XCTAssertEqual(decodeError(try surgery.encoded()), .missingTensor(path: path, tensor: name))
        }
    }

    func testUnknownOrMissingFormat() throws {
        var surgery = try SafetensorsSurgery(try realCheckpoint().raw)
        surgery.metadata["format"] = "charnn-2"
        XCTAssertEqual(decodeError(try surgery.encoded()),
                       .unsupportedFormat(path: path, found: "charnn-2", supported: "charnn-1"))
        surgery.metadata["format"] = nil
        guard case .badMetadata(path, "format", _)? = decodeError(try surgery.encoded()) else {
            return XCTFail("no format: \(String(describing: decodeError(try surgery.encoded())))")
        }
    }

    /// `config` missing a key, with a wrong type, out of range, or not JSON: `badMetadata` that
    /// names the key and, in its reason, the field.
    func testBadConfigMetadata() throws {
        let edits: [(String, (inout [String: Any]) -> Void)] = [
            ("hidden", { $0["hidden"] = nil }),
            ("layers", { $0["layers"] = "two" }),
            ("cell", { $0["cell"] = "rnn" }),
            ("layers", { $0["layers"] = 0 }),
            ("dropout", { $0["dropout"] = 1.0 }),
            ("embed", { $0["embed"] = -8 }),
        ]
        for (field, edit) in edits {
            var surgery = try SafetensorsSurgery(try realCheckpoint().raw)
            var config = try XCTUnwrap(surgery.json("config") as? [String: Any])
            edit(&config)
            try surgery.setJSON("config", config)
            guard let error = decodeError(try surgery.encoded()), case .badMetadata(path, "config", _) = error else {
                XCTFail("config field \(field): \(String(describing: decodeError(try surgery.encoded())))")
                continue
            }
            XCTAssertTrue(error.description.contains(field), "the message does not name '\(field)': \(error)")
        }
        var surgery = try SafetensorsSurgery(try realCheckpoint().raw)
        surgery.metadata["config"] = "{\"cell\": \"lstm\""
        guard case .badMetadata(path, "config", _)? = decodeError(try surgery.encoded()) else {
            return XCTFail("config that is not JSON: \(String(describing: decodeError(try surgery.encoded())))")
        }
    }

    func testVocabularyNotAnArrayOfSingleScalarsInOrder() throws {
        let symbols = try XCTUnwrap(try SafetensorsSurgery(try realCheckpoint().raw).json("vocab") as? [String])
        let bad: [(String, Any)] = [
            ("two scalars in one symbol", ["ab"] + symbols.dropFirst()),
            ("an empty symbol", [""] + symbols.dropFirst()),
            ("an object", ["a": 1]),
            ("numbers", symbols.indices.map { $0 }),
            ("out of order", Array(symbols.reversed())),
            ("a duplicate", [symbols[0]] + symbols.dropLast()),
            ("empty", [String]()),
        ]
        for (what, value) in bad {
            var surgery = try SafetensorsSurgery(try realCheckpoint().raw)
            try surgery.setJSON("vocab", value)
            guard case .badMetadata(path, "vocab", _)? = decodeError(try surgery.encoded()) else {
                XCTFail("vocab \(what): \(String(describing: decodeError(try surgery.encoded())))")
                continue
            }
        }
    }

    /// The training record drives `--resume` (step → data window, batch, seq, validation split)
    /// and `restore` (window length): impossible values are refused when the file is read, as
    /// impossible `config` values are, rather than trapping later in the trainer.
    func testImpossibleTrainingRecordIsBadMetadata() throws {
        let edits: [(String, (inout TrainingRecord) -> Void)] = [
            ("step -1", { $0.step = -1 }), ("batch 0", { $0.batch = 0 }), ("batch -3", { $0.batch = -3 }),
            ("seq 0", { $0.seq = 0 }), ("val_frac 1.5", { $0.validationFraction = 1.5 }),
            ("val_frac -1", { $0.validationFraction = -1 }),
        ]
        for (what, edit) in edits {
            var surgery = try SafetensorsSurgery(try realCheckpoint().raw)
            var record = try JSONDecoder().decode(TrainingRecord.self, from: Data(try XCTUnwrap(surgery.metadata["training"]).utf8))
            edit(&record)
            surgery.metadata["training"] = Checkpoint.json(record)
            guard case .badMetadata(path, "training", _)? = decodeError(try surgery.encoded()) else {
                XCTFail("training \(what) was accepted: \(String(describing: decodeError(try surgery.encoded())))")
                continue
            }
        }
    }

    // MARK: - Memory a file cannot back

    /// A frame header declaring 3 GiB (RFC 8878 §3.1.1.1: descriptor 0xC4 = 8-byte content size,
    /// checksum, no single segment; window descriptor; one empty last raw block; checksum) is
    /// refused from its header by `Checkpoint.read`, which passes `maximumContentSize`.
    func testDecompressionBombIsRefusedWithoutAllocating() throws {
        let declared: UInt64 = 3 << 30
        XCTAssertGreaterThan(declared, UInt64(Checkpoint.maximumContentSize))
        var frame = ZstdFrame.magic + [0xC4, 0x00]
        frame += (0..<8).map { UInt8(truncatingIfNeeded: declared >> (8 * UInt64($0))) }
        frame += [0x01, 0x00, 0x00, 0, 0, 0, 0]
        // A real frame with its 4-byte content size patched to the same 3 GiB.
        let real = try ZstdFrame.compress([UInt8](repeating: 7, count: 70_000))
        let descriptor = real[4]
        XCTAssertEqual(descriptor >> 6, 2, "70 000 bytes take a 4-byte content size")
        let sizeField = descriptor & 0x20 != 0 ? 5 : 6
        var patched = real
        for index in 0..<4 { patched[sizeField + index] = UInt8(truncatingIfNeeded: declared >> (8 * UInt64(index))) }

        let before = peakResidentBytes()
        for (name, bytes) in [("handmade", frame), ("patched", patched)] {
            let file = folder + "/\(name).safetensors.zst"
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            XCTAssertEqual(readError(file), .tooLarge(path: file, declared: declared, limit: Checkpoint.maximumContentSize), name)
            XCTAssertTrue(readError(file)?.description.contains("limit") ?? false)
        }
        let grown = peakResidentBytes() - before
        XCTAssertLessThan(grown, 1 << 30, "reading the bombs raised the peak resident size by \(grown >> 20) MiB")
    }

    /// A `config` declaring a model far larger than the tensors stored (4096 hidden units: 270 MB of
    /// parameters) is refused from the shapes alone, before memory for the model is committed.
    func testOversizedConfigIsRefusedBeforeAllocatingTheModel() throws {
        var surgery = try SafetensorsSurgery(try realCheckpoint().raw)
        var config = try XCTUnwrap(surgery.json("config") as? [String: Any])
        config["hidden"] = 4096
        try surgery.setJSON("config", config)
        let bytes = try surgery.encoded()
        let before = peakResidentBytes()
        let error = decodeError(bytes)
        let grown = peakResidentBytes() - before
        switch error {
        case .shapeMismatch(path, _, _, _)?, .badMetadata(path, "config", _)?: break
        default: XCTFail("a 4096-unit config over 8-unit tensors gave \(String(describing: error))")
        }
        XCTAssertLessThan(grown, 64 << 20,
                          "decoding raised the peak resident size by \(grown >> 20) MiB before refusing the file")
    }

    // MARK: - Found by the structured fuzzer (Fixtures/checkpoint-regressions/)

    /// Headers that a few kilobytes of zstd expand into tens of megabytes of JSON values (20
    /// million dimensions in one shape, 10 million vocabulary symbols, 700,000 corpus files in the
    /// training record) took the JSON parsers 7 to 22 s and 0.7 to 1.2 GB before they were refused;
    /// values are now counted before parsing. Names and format strings holding line breaks and
    /// terminal escapes made messages of several lines; file text is now escaped and shortened.
    func testRegressionFilesEndInOneLineQuickly() throws {
        let expected: [String: (CheckpointError) -> Bool] = [
            "shape-of-20-million-dimensions": {
                if case .malformedHeader(_, let reason) = $0 { reason.contains("more than \(Safetensors.maximumHeaderValues) JSON values") } else { false }
            },
            "vocabulary-of-10-million-symbols": {
                if case .badMetadata(_, "vocab", let reason) = $0 { reason.hasPrefix("more than 62 characters") } else { false }
            },
            "training-record-of-700000-files": {
                if case .badMetadata(_, "training", let reason) = $0 { reason.contains("\(Checkpoint.maximumMetadataValues) JSON values") } else { false }
            },
            "tensor-name-with-a-line-break": {
                if case .unsupportedDtype(_, "rnn.weight\nhh_l0\u{1B}[2J", "F16") = $0 { true } else { false }
            },
            "format-with-a-line-break": {
                if case .unsupportedFormat(_, "charnn-1\r\nformat: charnn-1", _) = $0 { true } else { false }
            },
        ]
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/checkpoint-regressions")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".safetensors.zst") }.sorted()
        XCTAssertEqual(Set(files.map { String($0.dropLast(".safetensors.zst".count)) }), Set(expected.keys),
                       "every regression file has its expected error here")
        for file in files {
            let name = String(file.dropLast(".safetensors.zst".count))
            let path = folder.appendingPathComponent(file).path
            // This thread's CPU time, not the wall clock: a loaded machine must not fail the test.
            let before = peakResidentBytes(), started = threadCPUSeconds()
            let error = readError(path)
            let seconds = threadCPUSeconds() - started
            let grown = peakResidentBytes() - before
            guard let error else { XCTFail("\(name) was accepted"); continue }
            XCTAssertTrue(expected[name]?(error) ?? false, "\(name): \(error)")
            XCTAssertFalse(error.description.contains(where: \.isNewline), "\(name): \(error.description)")
            XCTAssertFalse(error.description.unicodeScalars.contains("\u{1B}"), "\(name): \(error.description)")
            XCTAssertLessThan(error.description.count, 600, "\(name): \(error.description)")
            // What is left is linear in the content (up to 70 MB): decompressing it and, for a
            // 70 MB metadata string, Foundation decoding that string (4 s in a debug build, where
            // the parsers took 7 to 22 s and 0.7 to 1.2 GB before).
            XCTAssertLessThan(seconds, 12, "\(name) took \(seconds) s of CPU")
            XCTAssertLessThan(grown, 400 << 20, "\(name) raised the peak resident size by \(grown >> 20) MiB")
        }
    }

    /// A shape of many dimensions is shown shortened, with its count.
    func testLongShapesAreShortenedInMessages() throws {
        let error = CheckpointError.byteCountMismatch(path: path, tensor: String(repeating: "x", count: 5000),
                                                      shape: Array(repeating: 1, count: 300), byteCount: 4)
        XCTAssertTrue(error.description.contains("[1, 1, 1, 1, 1, 1, 1, 1, … (300 dimensions)]"), error.description)
        XCTAssertTrue(error.description.contains("… (5000 characters)"), error.description)
        XCTAssertLessThan(error.description.count, 600)
    }

    // MARK: - A full disk

    /// The temporary of an atomic save is made a /dev/full node (major 1, minor 7): every write to
    /// it fails with ENOSPC, as on a full disk. The save fails, the previous file is untouched and
    /// the temporary is removed. Needs CAP_MKNOD (root in a container has it); skipped otherwise.
    func testSaveOnAFullDiskKeepsThePreviousCheckpoint() throws {
        let original = try Checkpoint.decode(try realCheckpoint().raw, path: path)
        let target = folder + "/latest.safetensors.zst"
        try original.write(to: target)
        let good = try AtomicFile.readAll(path: target)
        let temporary = folder + "/.latest.safetensors.zst.tmp.\(getpid())"
        guard mknod(temporary, S_IFCHR | 0o600, 0x107) == 0 else {
            throw XCTSkip("cannot create a /dev/full node: \(String(cString: strerror(errno)))")
        }
        var changed = original
        changed.parameters[0] += 1
        let error = checkpointError { () throws(CheckpointError) in try changed.write(to: target) }
        guard case .writeFailed(target, let reason)? = error else {
            return XCTFail("a save onto a full disk gave \(String(describing: error))")
        }
        XCTAssertTrue(reason.contains(String(cString: strerror(ENOSPC))), reason)
        XCTAssertEqual(try AtomicFile.readAll(path: target), good, "the failed save changed the previous checkpoint")
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary), "the temporary is left behind")
        XCTAssertEqual(try Checkpoint.read(from: target).parameters, original.parameters)
    }

    // MARK: - Helpers

    /// One real checkpoint per test run: `(compressed file, safetensors content)`.
    nonisolated(unsafe) private static var cached: (compressed: [UInt8], raw: [UInt8])?

    private func realCheckpoint() throws -> (compressed: [UInt8], raw: [UInt8]) {
        if let cached = Self.cached { return cached }
        let corpus = folder + "/corpus.txt"
        try syntheticText(characters: 3000).write(toFile: corpus, atomically: true, encoding: .utf8)
        var options = tinyOptions(corpus: corpus, out: folder + "/run", steps: 2)
        options.layerCount = 1
        options.hiddenSize = 8
        options.embeddingSize = 4
        _ = try Trainer(options: options).run { _ in }
        let file = folder + "/run/latest.safetensors.zst"
        let compressed = try AtomicFile.readAll(path: file)
        let raw = try ZstdFrame.decompress(compressed, path: file, limit: Checkpoint.maximumContentSize)
        Self.cached = (compressed, raw)
        return (compressed, raw)
    }

    /// What `Checkpoint.read` does after reading the file.
    private func loadError(_ compressed: [UInt8]) -> CheckpointError? {
        checkpointError { () throws(CheckpointError) in
            try Checkpoint.decode(ZstdFrame.decompress(compressed, path: path, limit: Checkpoint.maximumContentSize), path: path)
        }
    }

    private func decodeError(_ raw: [UInt8]) -> CheckpointError? {
        checkpointError { () throws(CheckpointError) in try Checkpoint.decode(raw, path: path) }
    }

    private func readError(_ file: String) -> CheckpointError? {
        checkpointError { () throws(CheckpointError) in try Checkpoint.read(from: file) }
    }

    /// Every stored value, in data order: parameters, Adam's m and v, carried h and c.
    private func storedValues(_ checkpoint: Checkpoint) -> [UInt32] {
        (checkpoint.parameters + (checkpoint.adamM ?? []) + (checkpoint.adamV ?? []) + (checkpoint.stateH ?? [])
            + (checkpoint.stateC ?? [])).map(\.bitPattern)
    }

    private func littleEndianLength(_ bytes: [UInt8]) -> UInt64 {
        bytes.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// The header as a JSON object under the reader's own rules (starts with "{", UTF-8, no NUL).
    private func jsonObject(_ header: ArraySlice<UInt8>) -> [String: Any]? {
        guard header.first == UInt8(ascii: "{"), !header.contains(0),
              String(validating: header, as: UTF8.self) != nil else { return nil }
        return jsonValue(Array(header)) as? [String: Any]
    }

    private func jsonValue(_ bytes: [UInt8]) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    private func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}

/// CPU seconds the calling thread has run.
private func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
