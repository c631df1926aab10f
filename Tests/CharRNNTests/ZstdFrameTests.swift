import XCTest
@testable import CharRNN

final class ZstdFrameTests: XCTestCase {
    private let path = "test.safetensors.zst"
    private let limit = 1 << 20

    func testRoundTrip() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let noise = (0..<100_000).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        let text = Array(String(repeating: "To be, or not to be, that is the question. ", count: 2000).utf8)
        for content in [[], [7], noise, text] {
            let frame = try ZstdFrame.compress(content)
            XCTAssertEqual(try ZstdFrame.decompress(frame, path: path, limit: limit), content)
        }
        XCTAssertLessThan(try ZstdFrame.compress(text).count, text.count / 20)
    }

    /// Frame header (RFC 8878 §3.1.1.1): magic, Frame_Header_Descriptor (bits 7–6 content size
    /// field flag, bit 5 single segment, bit 2 content checksum, bits 1–0 dictionary ID flag),
    /// optional Window_Descriptor, Dictionary_ID, Frame_Content_Size.
    func testFrameRecordsChecksumFlagAndContentSize() throws {
        for count in [0, 1, 255, 256, 1000, 70_000, 300_000] {
            let content = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }
            let frame = try ZstdFrame.compress(content)
            XCTAssertEqual(Array(frame.prefix(4)), [0x28, 0xB5, 0x2F, 0xFD])
            let descriptor = frame[4]
            XCTAssertEqual(descriptor & 0b100, 0b100, "content checksum flag, \(count) bytes")
            XCTAssertEqual(descriptor & 0b11, 0, "no dictionary")
            let singleSegment = descriptor & 0b10_0000 != 0
            let sizeFieldLength = [singleSegment ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
            XCTAssertGreaterThan(sizeFieldLength, 0, "content size recorded, \(count) bytes")
            let sizeField = frame[(singleSegment ? 5 : 6)...].prefix(sizeFieldLength)
            var declared = sizeField.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if sizeFieldLength == 2 { declared += 256 }
            XCTAssertEqual(declared, UInt64(count))
        }
    }

    func testEveryTruncationIsRejected() throws {
        let frame = try ZstdFrame.compress(smallCheckpoint())
        XCTAssertEqual(decompressError(Array(frame.prefix(0))), .empty(path: path))
        for length in 1..<frame.count {
            guard case .corruptFrame(path, _)? = decompressError(Array(frame.prefix(length))) else {
                return XCTFail("prefix of \(length) bytes: \(String(describing: decompressError(Array(frame.prefix(length)))))")
            }
        }
    }

    /// Every single-bit flip of a small compressed checkpoint is caught: the header fields are
    /// cross-checked and the XXH64 content checksum covers the content.
    func testEveryBitFlipIsRejected() throws {
        let content = smallCheckpoint()
        let frame = try ZstdFrame.compress(content)
        var undetected: [String] = []
        for index in frame.indices {
            for bit in 0..<8 {
                var damaged = frame
                damaged[index] ^= 1 << bit
                let decompressed: [UInt8]
                do {
                    decompressed = try ZstdFrame.decompress(damaged, path: path, limit: limit)
                } catch {
                    continue
                }
                // Should not happen thanks to the checksum; if it does, the damage must not pass silently.
                if decompressed != content,
                   (try? SafetensorsFile(bytes: decompressed, path: path)) != nil {
                    undetected.append("byte \(index) bit \(bit)")
                }
            }
        }
        XCTAssertEqual(undetected, [])
    }

    func testTrailingBytesAndSecondFramesAreRejected() throws {
        let frame = try ZstdFrame.compress(smallCheckpoint())
        // zstd itself would silently skip a trailing skippable frame (magic 0x184D2A50, length 4).
        let skippable: [UInt8] = [0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]
        for suffix in [[0], [1, 2, 3, 4, 5, 6, 7, 8], frame, skippable] {
            guard case .corruptFrame(path, let reason)? = decompressError(frame + suffix) else {
                return XCTFail("\(suffix.count) trailing bytes accepted")
            }
            XCTAssertTrue(reason.contains("\(suffix.count) trailing bytes"), reason)
        }
    }

    func testNonZstdInputIsRejected() {
        XCTAssertEqual(decompressError(Array("PK\u{3}\u{4} a zip file".utf8)), .notZstd(path: path))
        XCTAssertEqual(decompressError(smallCheckpoint()), .notZstd(path: path))
        XCTAssertEqual(decompressError([0x28, 0xB5, 0x2F, 0xFC, 0, 0, 0]), .notZstd(path: path))
    }

    /// A hand-made valid frame whose header leaves out the content size: magic, descriptor 0
    /// (no size, no checksum), window descriptor, one last raw block of 3 bytes.
    func testFrameWithoutContentSizeIsRejected() {
        let frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 3 << 3 | 1, 0, 0, 0x61, 0x62, 0x63]
        guard case .corruptFrame(path, _)? = decompressError(frame) else {
            return XCTFail(String(describing: decompressError(frame)))
        }
    }

    func testDecompressionBombIsRefusedBeforeDecompressing() throws {
        let zeros = [UInt8](repeating: 0, count: 10 << 20)
        let frame = try ZstdFrame.compress(zeros)
        XCTAssertLessThan(frame.count, 4096)
        XCTAssertEqual(decompressError(frame), .tooLarge(path: path, declared: 10 << 20, limit: limit))
        XCTAssertEqual(try ZstdFrame.decompress(frame, path: path, limit: 10 << 20).count, 10 << 20)
    }

    // MARK: - Helpers

    private func smallCheckpoint() -> [UInt8] {
        let values: [Float] = [0.5, -1.25, 3, 1e-3, -0.0, 7, 8, 9]
        return values.withUnsafeBufferPointer { buffer in
            Safetensors.encode(tensors: [("rnn.weight_ih_l0", [2, 3], UnsafeBufferPointer(rebasing: buffer[..<6])),
                                         ("decoder.bias", [2], UnsafeBufferPointer(rebasing: buffer[6...]))],
                               metadata: ["format": "charnn-1", "step": "100"])
        }
    }

    private func decompressError(_ bytes: [UInt8]) -> CheckpointError? {
        checkpointError { () throws(CheckpointError) in try ZstdFrame.decompress(bytes, path: path, limit: limit) }
    }
}
