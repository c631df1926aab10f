import CharRNN
import CheckpointSurgery
import Foundation
import XCTest

/// Checkpoints crafted to be wrong in one specific way, read by the real binary: `info` and
/// `sample` exit 1 with one line that names the file and the problem, and never trap, allocate what
/// the file cannot back, or trust the training record's numbers blindly.
final class UntrustedCheckpointTests: CLITestCase {
    /// The helper itself: taken apart and put back together unchanged, the checkpoint still reads.
    func testReassembledCheckpointWithoutChangesIsAccepted() throws {
        _ = try sandbox.write(Data(try ZstdFrame.compress(try base().encoded())), to: "same.safetensors.zst")
        assertSuccess(try sandbox.run(["info", "same.safetensors.zst"]))
        assertSuccess(try sandbox.run(["sample", "--checkpoint", "same.safetensors.zst", "--length", "5", "--seed", "1"]))
    }

    // MARK: Container damage

    func testHeaderLengthBeyondTheFile() throws {
        var raw = try base().encoded()
        let length = UInt64(raw.count + 1)
        for index in 0..<8 { raw[index] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(index))) }
        try assertRefused(raw, as: "long-header.safetensors.zst", mentions: ["header"])
    }

    func testTensorOffsetsPastTheData() throws {
        let crafted = try base()
        let last = try XCTUnwrap(crafted.tensors.last)
        let raw = try crafted.encoded { header in
            header[last.name] = ["dtype": "F32", "shape": last.shape,
                                 "data_offsets": [crafted.dataCount - last.data.count + 8, crafted.dataCount + 8]]
        }
        try assertRefused(raw, as: "offsets.safetensors.zst", mentions: [last.name, "past the end"])
    }

    func testOverlappingTensors() throws {
        let crafted = try base()
        let (first, second) = (crafted.tensors[0], crafted.tensors[1])
        let raw = try crafted.encoded { header in
            let begin = first.data.count - 4
            header[second.name] = ["dtype": "F32", "shape": second.shape,
                                   "data_offsets": [begin, begin + second.data.count]]
        }
        try assertRefused(raw, as: "overlap.safetensors.zst", mentions: ["overlap", first.name, second.name])
    }

    func testDataThatBelongsToNoTensor() throws {
        var crafted = try base()
        crafted.tensors[crafted.tensors.count - 1].data += [0, 0, 0, 0]
        let last = crafted.tensors[crafted.tensors.count - 1]
        let raw = try crafted.encoded { header in
            header[last.name] = ["dtype": "F32", "shape": last.shape,
                                 "data_offsets": [crafted.dataCount - last.data.count, crafted.dataCount - 4]]
        }
        try assertRefused(raw, as: "gap.safetensors.zst", mentions: ["no tensor"])
    }

    func testByteCountNotMatchingTheShape() throws {
        var crafted = try base()
        let index = try XCTUnwrap(crafted.index(of: "decoder.bias"))
        crafted.tensors[index].shape[0] += 1
        try assertRefused(try crafted.encoded(), as: "byte-count.safetensors.zst", mentions: ["decoder.bias", "bytes"])
    }

    func testHalfPrecisionTensor() throws {
        var crafted = try base()
        let index = try XCTUnwrap(crafted.index(of: "rnn.bias_ih_l0"))
        crafted.tensors[index].dtype = "F16"
        try assertRefused(try crafted.encoded(), as: "f16.safetensors.zst", mentions: ["F16", "rnn.bias_ih_l0"])
    }

    func testMalformedHeaderJSON() throws {
        var raw = try base().encoded()
        let length = Int(raw.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let closing = try XCTUnwrap(raw[8..<(8 + length)].lastIndex(of: UInt8(ascii: "}")))
        raw[closing] = UInt8(ascii: " ")
        try assertRefused(raw, as: "json.safetensors.zst", mentions: ["JSON"])
    }

    /// RFC 8878 §3.1.1.1: descriptor 0xC4 (8-byte content size, checksum), window descriptor,
    /// 3 GiB declared, one empty last raw block, a checksum. 21 bytes that must cost nothing.
    func testDecompressionBomb() throws {
        let declared: UInt64 = 3 << 30
        var frame = ZstdFrame.magic + [0xC4, 0x00]
        frame += (0..<8).map { UInt8(truncatingIfNeeded: declared >> (8 * UInt64($0))) }
        frame += [0x01, 0x00, 0x00, 0, 0, 0, 0]
        _ = try sandbox.write(Data(frame), to: "bomb.safetensors.zst")
        try assertRefused(existing: "bomb.safetensors.zst", mentions: ["limit", "\(declared)"])
    }

    // MARK: Model and metadata mismatches

    func testTensorShapeDisagreeingWithTheConfig() throws {
        var crafted = try base()
        let index = try XCTUnwrap(crafted.index(of: "rnn.weight_hh_l0"))
        crafted.tensors[index].shape.reverse()
        try assertRefused(try crafted.encoded(), as: "shape.safetensors.zst", mentions: ["shape", "rnn.weight_hh_l0"])
    }

    /// The vocabulary lists one symbol more than the embedding has rows: the message must say that
    /// the vocabulary and the weights disagree (the file is inconsistent), not only name a tensor.
    func testVocabularyLongerThanTheEmbedding() throws {
        var crafted = try base()
        var symbols = try XCTUnwrap(crafted.json("vocab") as? [String])
        symbols.append("\u{1F600}")
        try crafted.setJSON("vocab", symbols)
        try assertRefused(try crafted.encoded(), as: "vocab-size.safetensors.zst", mentions: ["vocab"])
    }

    func testMissingTensor() throws {
        var crafted = try base()
        crafted.tensors.remove(at: try XCTUnwrap(crafted.index(of: "decoder.bias")))
        try assertRefused(try crafted.encoded(), as: "missing.safetensors.zst", mentions: ["missing", "decoder.bias"])
    }

    func testUnknownFormat() throws {
        var crafted = try base()
        crafted.metadata["format"] = "charnn-2"
        try assertRefused(try crafted.encoded(), as: "format.safetensors.zst", mentions: ["format", "charnn-2"])
    }

    func testConfigMissingAKeyOrWithAWrongType() throws {
        for (field, value) in [("hidden", nil), ("layers", "two" as Any?)] {
            var crafted = try base()
            var config = try XCTUnwrap(crafted.json("config") as? [String: Any])
            config[field] = value
            try crafted.setJSON("config", config)
            try assertRefused(try crafted.encoded(), as: "config-\(field).safetensors.zst", mentions: ["config", field])
        }
    }

    func testVocabularyNotAnArrayOfSingleScalars() throws {
        let symbols = try XCTUnwrap(try base().json("vocab") as? [String])
        let cases: [(String, Any)] = [("two-scalars", ["ab"] + symbols.dropFirst()), ("object", ["a": "b"]),
                                      ("unsorted", Array(symbols.reversed()))]
        for (name, value) in cases {
            var crafted = try base()
            try crafted.setJSON("vocab", value)
            try assertRefused(try crafted.encoded(), as: "vocab-\(name).safetensors.zst", mentions: ["vocab"])
        }
    }

    /// A config declaring 64 layers of 65 536 units over the tiny model's tensors: the shapes alone
    /// prove it wrong. Run under a 4 GiB address-space limit, so a reader that sizes its buffers
    /// from the config before checking the tensors fails here instead of paging the machine.
    func testConfigFarLargerThanTheTensorsIsRefusedWithoutAllocatingIt() throws {
        var crafted = try base()
        var config = try XCTUnwrap(crafted.json("config") as? [String: Any])
        config["hidden"] = 65_536
        config["layers"] = 64
        try crafted.setJSON("config", config)
        _ = try sandbox.write(Data(try ZstdFrame.compress(try crafted.encoded())), to: "huge.safetensors.zst")
        for command in ["info huge.safetensors.zst", "sample --checkpoint huge.safetensors.zst --length 5"] {
            let result = try sandbox.shell("ulimit -v 4194304 && exec \"$CHARNN\" \(command)")
            assertCleanFailure(result, code: 1, mentions: ["huge.safetensors.zst"])
        }
    }

    // MARK: The training record

    /// `--resume` takes step, batch, seq and the validation split from the record when no option
    /// overrides them: impossible values must be refused with the file and the field named.
    func testResumeFromAnImpossibleTrainingRecordIsRefused() throws {
        let corpus = try corpus()
        let edits: [(String, String, (inout TrainingRecord) -> Void)] = [
            ("step-negative", "step", { $0.step = -5 }), ("batch-zero", "batch", { $0.batch = 0 }),
            ("batch-negative", "batch", { $0.batch = -3 }), ("seq-zero", "seq", { $0.seq = 0 }),
            ("val-frac-above-one", "val", { $0.validationFraction = 1.5 }),
        ]
        let crafted = try base()
        for (index, (name, field, edit)) in edits.enumerated() {
            var copy = crafted
            try copy.editTraining(edit)
            let file = "resume-\(index).safetensors.zst"
            _ = try sandbox.write(Data(try ZstdFrame.compress(try copy.encoded())), to: file)
            let result = try sandbox.run(["train", corpus, "--resume", file, "--out", "run-\(index)", "--steps", "4",
                                          "--threads", "1", "--val-every", "10"])
            assertCleanFailure(result, code: 1, mentions: [file], oneLine: false)
            assertMentions(result, [field], besides: file)
            let last = result.err.split(separator: "\n").last.map(String.init) ?? ""
            XCTAssertTrue(last.hasPrefix("charnn: error:") && last.contains(file), "\(name): the last line is \(last)")
        }
    }

    /// `restore` reads its window length from the record's `seq`.
    func testRestoreWithAnImpossibleWindowLengthIsRefused() throws {
        let latest = try trainTiny(corpus: corpus(), out: "case", steps: 2, extra: ["--task", "restore-case"])
        var crafted = try SafetensorsSurgery(ZstdFrame.decompress(Array(try Data(contentsOf: URL(fileURLWithPath: latest))),
                                                                 path: latest, limit: Checkpoint.maximumContentSize))
        try crafted.editTraining { $0.seq = 0 }
        _ = try sandbox.write(Data(try ZstdFrame.compress(try crafted.encoded())), to: "seq-zero.safetensors.zst")
        let result = try sandbox.run(["restore", "--checkpoint", "seq-zero.safetensors.zst", "some text to restore"])
        assertCleanFailure(result, code: 1, mentions: ["seq-zero.safetensors.zst"])
    }

    /// The mirror of `restore` refusing a language model: a restoration model predicts the
    /// original of each character, not the next one, so sampling text from it is meaningless.
    func testSampleRefusesARestorationModel() throws {
        let latest = try trainTiny(corpus: corpus(), out: "case", steps: 2, extra: ["--task", "restore-case"])
        let result = try sandbox.run(["sample", "--checkpoint", latest, "--length", "20", "--seed", "1"])
        assertCleanFailure(result, code: 1, mentions: [latest, "restor"])
        XCTAssertTrue(result.stdout.isEmpty, "sample printed text from a restoration model: \(result.out)")
    }

    // MARK: - Helpers

    /// The content of a freshly trained tiny LSTM checkpoint (2 steps, with Adam's moments), taken apart.
    private func base() throws -> SafetensorsSurgery {
        let latest = sandbox.path("base/latest.safetensors.zst")
        if !FileManager.default.fileExists(atPath: latest) {
            try trainTiny(corpus: corpus(), out: "base", steps: 2)
        }
        let compressed = Array(try Data(contentsOf: URL(fileURLWithPath: latest)))
        return try SafetensorsSurgery(try ZstdFrame.decompress(compressed, path: latest, limit: Checkpoint.maximumContentSize))
    }

    /// Compresses `raw` into `name` and checks that every reader refuses it.
    private func assertRefused(_ raw: [UInt8], as name: String, mentions: [String],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        _ = try sandbox.write(Data(try ZstdFrame.compress(raw)), to: name)
        try assertRefused(existing: name, mentions: mentions, file: file, line: line)
    }

    /// `info` and `sample` exit 1 with one line naming `name` and every word of `mentions`, and print nothing.
    private func assertRefused(existing name: String, mentions: [String],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        for command in [["info", name], ["sample", "--checkpoint", name, "--length", "5"]] {
            let result = try sandbox.run(command)
            assertCleanFailure(result, code: 1, mentions: [name], file: file, line: line)
            assertMentions(result, mentions, besides: name, file: file, line: line)
            XCTAssertTrue(result.stdout.isEmpty, "\(command[0]) printed: \(result.out)", file: file, line: line)
        }
    }

    /// Every word of `words` appears in the last line of stderr (the error) outside the file name
    /// `name`, which could hold it.
    private func assertMentions(_ result: RunResult, _ words: [String], besides name: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        let last = result.err.split(separator: "\n").last.map(String.init) ?? ""
        let message = last.replacingOccurrences(of: name, with: "")
        for word in words {
            XCTAssertTrue(message.localizedCaseInsensitiveContains(word),
                          "stderr does not mention \"\(word)\" (besides in the file name)\n\(result.summary)",
                          file: file, line: line)
        }
    }
}
