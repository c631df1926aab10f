import Foundation
import XCTest
@testable import CharRNN

final class SafetensorsTests: XCTestCase {
    private let path = "test.safetensors"

    // MARK: - Writing and reading back

    func testRoundTripIsBitwiseExact() throws {
        let special: [Float] = [-0.0, 0.0, .leastNonzeroMagnitude, -.leastNormalMagnitude / 3, .greatestFiniteMagnitude,
                                .infinity, -.infinity, .pi, -1.5e-30, 1]
        let ramp = (0..<35).map { Float($0) * 0.37 - 4.1 }
        let tensors: [(String, [Int], [Float])] = [
            ("decoder.weight", [5, 7], ramp), ("rnn.bias_ih_l0", [10], special),
            ("scalar", [], [42]), ("empty", [0, 3], []),
        ]
        let metadata = [
            "format": "charnn-1", "config": #"{"cell":"lstm","vocab":["\"","\\","\n"]}"#,
            "control": "tab\tnul-ish\u{01}\u{1F} bell\u{07} cr\r", "unicode": "héllo 🌍 \u{2028}", "": "empty key",
        ]
        let file = try SafetensorsFile(bytes: encode(tensors, metadata: metadata), path: path)

        XCTAssertEqual(file.metadata, metadata)
        XCTAssertEqual(Set(file.entries.keys), Set(tensors.map(\.0)))
        for (name, shape, values) in tensors {
            let entry = try XCTUnwrap(file.entries[name])
            XCTAssertEqual(entry.name, name)
            XCTAssertEqual(entry.dtype, "F32")
            XCTAssertEqual(entry.shape, shape)
            XCTAssertEqual(try file.floatArray(name).map(\.bitPattern), values.map(\.bitPattern), name)
        }
    }

    func testFloatsIntoChecksTheCount() throws {
        let file = try SafetensorsFile(bytes: encode([("w", [2, 3], [1, 2, 3, 4, 5, 6])]), path: path)
        var destination = [Float](repeating: 0, count: 6)
        try destination.withUnsafeMutableBufferPointer { (buffer) throws(CheckpointError) in try file.floats("w", into: buffer) }
        XCTAssertEqual(destination, [1, 2, 3, 4, 5, 6])

        var tooSmall = [Float](repeating: 0, count: 5)
        XCTAssertEqual(checkpointError { () throws(CheckpointError) in
            try tooSmall.withUnsafeMutableBufferPointer { (buffer) throws(CheckpointError) in try file.floats("w", into: buffer) }
        }, .shapeMismatch(path: path, tensor: "w", expected: [5], found: [2, 3]))
        XCTAssertEqual(checkpointError { () throws(CheckpointError) in try file.floatArray("v") }, .missingTensor(path: path, tensor: "v"))
    }

    func testHeaderIsSpacePaddedToAMultipleOfEight() throws {
        for keyLength in 0..<16 {
            let bytes = encode([("w", [1], [1])], metadata: [String(repeating: "k", count: keyLength): "v"])
            let headerLength = Int(headerLengthField(bytes))
            XCTAssertEqual(headerLength % 8, 0, "key length \(keyLength)")
            let header = bytes[8..<(8 + headerLength)]
            let closing = try XCTUnwrap(header.lastIndex(of: UInt8(ascii: "}")))
            XCTAssertLessThan(header.endIndex - closing - 1, 8)
            XCTAssertTrue(header[(closing + 1)...].allSatisfy { $0 == UInt8(ascii: " ") })
            XCTAssertEqual(bytes.count, 8 + headerLength + 4)
        }
    }

    func testHeaderHasThePythonSafetensorsLayout() throws {
        let bytes = encode([("a", [2, 3], [1, 2, 3, 4, 5, 6]), ("b", [2], [1, -2])], metadata: ["k": "v", "step": "12"])
        let headerLength = Int(headerLengthField(bytes))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
        XCTAssertEqual(Set(json.keys), ["__metadata__", "a", "b"])
        XCTAssertEqual(json["__metadata__"] as? [String: String], ["k": "v", "step": "12"])
        let a = try XCTUnwrap(json["a"] as? [String: Any])
        XCTAssertEqual(Set(a.keys), ["dtype", "shape", "data_offsets"])
        XCTAssertEqual(a["dtype"] as? String, "F32")
        XCTAssertEqual(a["shape"] as? [Int], [2, 3])
        XCTAssertEqual(a["data_offsets"] as? [Int], [0, 24])
        let b = try XCTUnwrap(json["b"] as? [String: Any])
        XCTAssertEqual(b["shape"] as? [Int], [2])
        XCTAssertEqual(b["data_offsets"] as? [Int], [24, 32])
        // Data: little-endian IEEE 754, in the order given; 1.0 = 0x3F800000, -2.0 = 0xC0000000.
        XCTAssertEqual(Array(bytes[(8 + headerLength)...].prefix(4)), [0x00, 0x00, 0x80, 0x3F])
        XCTAssertEqual(Array(bytes.suffix(4)), [0x00, 0x00, 0x00, 0xC0])
        // __metadata__ first, then the tensors in the order given.
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"k":"v","step":"12"},"a":{"#), header)
    }

    func testEncodingIsDeterministic() {
        let metadata = Dictionary(uniqueKeysWithValues: (0..<50).map { ("key\($0)", "value \($0)") })
        XCTAssertEqual(encode([("w", [2], [1, 2])], metadata: metadata), encode([("w", [2], [1, 2])], metadata: metadata))
    }

    // MARK: - Rejecting damaged or hostile files

    func testShortOrOversizedHeaderLengthIsRejected() {
        for count in 0..<8 {
            XCTAssertTrue(isMalformedHeader(parseError(Array(repeating: 0, count: count))), "\(count) bytes")
        }
        var bytes = craft(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        setHeaderLengthField(&bytes, 1000)
        XCTAssertEqual(parseError(bytes), .headerLengthOutOfRange(path: path, length: 1000, fileSize: bytes.count))
        setHeaderLengthField(&bytes, .max)
        XCTAssertEqual(parseError(bytes), .headerLengthOutOfRange(path: path, length: .max, fileSize: bytes.count))
        setHeaderLengthField(&bytes, UInt64(bytes.count - 7))
        XCTAssertEqual(parseError(bytes), .headerLengthOutOfRange(path: path, length: UInt64(bytes.count - 7), fileSize: bytes.count))
    }

    func testMalformedHeaderJSONIsRejected() {
        let headers = [
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#,  // unterminated
            #"not json at all"#, #"[1, 2]"#, #""a string""#, "",
            #"{"w":[1,2]}"#, #"{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#,
            #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, #"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, #"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[null],"data_offsets":[0,4]}}"#, #"{"w":{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[99999999999999999999999],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[false,true]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}}"#,
            #"{"__metadata__":["a"],"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
        ]
        for header in headers {
            XCTAssertTrue(isMalformedHeader(parseError(craft(header, data: [0, 0, 0, 0]))), header)
        }
        var invalidUTF8 = craft(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        invalidUTF8[10] = 0xFF
        XCTAssertTrue(isMalformedHeader(parseError(invalidUTF8)))
        let utf16 = Array(#"{"__metadata__":{}}"#.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        XCTAssertTrue(isMalformedHeader(parseError(craft(bytes: utf16, data: []))))
    }

    func testUnsupportedDtypeIsRejected() {
        let bytes = craft(#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        XCTAssertEqual(parseError(bytes), .unsupportedDtype(path: path, tensor: "w", dtype: "F16"))
    }

    func testOffsetsBeyondTheDataAreRejected() {
        let bytes = craft(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0])
        XCTAssertEqual(parseError(bytes), .tensorOutOfRange(path: path, tensor: "w"))
        let far = craft(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[9223372036854775803,9223372036854775807]}}"#,
                        data: [0, 0, 0, 0])
        XCTAssertEqual(parseError(far), .tensorOutOfRange(path: path, tensor: "w"))
    }

    func testSizeNotMatchingTheShapeIsRejected() {
        let bytes = craft(#"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, data: Array(repeating: 0, count: 20))
        XCTAssertEqual(parseError(bytes), .byteCountMismatch(path: path, tensor: "w", shape: [2, 3], byteCount: 20))
        let huge = craft(#"{"w":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,4]}}"#,
                         data: [0, 0, 0, 0])
        XCTAssertEqual(parseError(huge),
                       .byteCountMismatch(path: path, tensor: "w", shape: [2147483647, 2147483647, 2147483647], byteCount: 4))
    }

    func testOverlapsGapsAndTrailingDataAreRejected() {
        let overlapping = craft(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                                data: Array(repeating: 0, count: 12))
        XCTAssertEqual(parseError(overlapping), .overlappingTensors(path: path, first: "a", second: "b"))
        let sameRange = craft(#"{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                              data: Array(repeating: 0, count: 4))
        XCTAssertEqual(parseError(sameRange), .overlappingTensors(path: path, first: "a", second: "b"))
        let gap = craft(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                        data: Array(repeating: 0, count: 12))
        XCTAssertEqual(parseError(gap), .unaccountedBytes(path: path, offset: 4, count: 4))
        let trailing = craft(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Array(repeating: 0, count: 7))
        XCTAssertEqual(parseError(trailing), .unaccountedBytes(path: path, offset: 4, count: 3))
    }

    func testMetadataValuesMustBeStrings() {
        for value in ["12", "true", "null", #"["a"]"#, #"{"a":"b"}"#] {
            let bytes = craft(#"{"__metadata__":{"format":"charnn-1","step":\#(value)}}"#, data: [])
            guard case .badMetadata(path, "step", _)? = parseError(bytes) else {
                return XCTFail("metadata value \(value): \(String(describing: parseError(bytes)))")
            }
        }
    }

    func testEveryTruncationIsRejected() {
        let bytes = encode([("a", [2, 3], [1, 2, 3, 4, 5, 6]), ("b", [2], [1, -2])], metadata: ["k": "v"])
        for length in 0..<bytes.count {
            XCTAssertNotNil(parseError(Array(bytes[..<length])), "prefix of \(length) bytes")
        }
    }

    func testErrorDescriptionsAreOneLineAndNameTheFile() {
        let file = "/runs/ckpt.safetensors.zst"
        let errors: [CheckpointError] = [
            .missing(path: file), .unreadable(path: file, reason: "Permission denied"), .empty(path: file),
            .notZstd(path: file), .corruptFrame(path: file, reason: "Restored data doesn't match checksum"),
            .tooLarge(path: file, declared: 10, limit: 1), .headerLengthOutOfRange(path: file, length: 9, fileSize: 8),
            .malformedHeader(path: file, reason: "not JSON"), .unsupportedDtype(path: file, tensor: "w", dtype: "F16"),
            .tensorOutOfRange(path: file, tensor: "w"), .overlappingTensors(path: file, first: "a", second: "b"),
            .unaccountedBytes(path: file, offset: 4, count: 4), .byteCountMismatch(path: file, tensor: "w", shape: [2], byteCount: 4),
            .shapeMismatch(path: file, tensor: "w", expected: [2], found: [3]), .missingTensor(path: file, tensor: "w"),
            .unsupportedFormat(path: file, found: "charnn-9", supported: "charnn-1"),
            .badMetadata(path: file, key: "step", reason: "not a string"), .writeFailed(path: file, reason: "No space left on device"),
        ]
        for error in errors {
            XCTAssertEqual(error.path, file)
            XCTAssertTrue(error.description.contains(file), error.description)
            XCTAssertFalse(error.description.contains("\n"), error.description)
        }
    }

    // MARK: - Helpers

    private func encode(_ tensors: [(String, [Int], [Float])], metadata: [String: String] = [:]) -> [UInt8] {
        let buffers = tensors.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: $0.2.count) }
        defer { buffers.forEach { $0.deallocate() } }
        for (buffer, tensor) in zip(buffers, tensors) { _ = buffer.initialize(from: tensor.2) }
        return Safetensors.encode(tensors: zip(tensors, buffers).map { ($0.0, $0.1, UnsafeBufferPointer($1)) },
                                  metadata: metadata)
    }

    /// A safetensors file with `header` verbatim (unpadded) and `data`.
    private func craft(_ header: String, data: [UInt8]) -> [UInt8] { craft(bytes: Array(header.utf8), data: data) }

    private func craft(bytes header: [UInt8], data: [UInt8]) -> [UInt8] {
        var file = [UInt8](repeating: 0, count: 8) + header + data
        setHeaderLengthField(&file, UInt64(header.count))
        return file
    }

    private func headerLengthField(_ bytes: [UInt8]) -> UInt64 {
        bytes.prefix(8).enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    private func setHeaderLengthField(_ bytes: inout [UInt8], _ length: UInt64) {
        for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(index))) }
    }

    private func parseError(_ bytes: [UInt8]) -> CheckpointError? {
        checkpointError { () throws(CheckpointError) in try SafetensorsFile(bytes: bytes, path: path) }
    }

    private func isMalformedHeader(_ error: CheckpointError?) -> Bool {
        if case .malformedHeader(path, _)? = error { return true }
        return false
    }
}

/// The error `body` throws, or nil if it returns.
func checkpointError<T>(_ body: () throws(CheckpointError) -> T) -> CheckpointError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
