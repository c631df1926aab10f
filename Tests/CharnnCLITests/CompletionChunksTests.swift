import Foundation
import NIOCore
import XCTest
@testable import CharnnServer

/// The hand-written chunks are the JSON that JSONSerialization writes for the same object.
final class CompletionChunksTests: XCTestCase {
    func testChunksParseAsTheObjectTheyStandFor() throws {
        let header = APIResponder.CompletionHeader(id: "cmpl-\"1\\", created: 1_796_522_263, model: "mödel/ñ")
        let chunks = CompletionChunks(header: header)
        let texts = ["", "a", "ROMEO:\n", "say \"hi\"\\", "tab\there\r", "\u{0}\u{1}\u{1F}\u{7F}", "é€😀", "a/b"]
        for (index, text) in texts.enumerated() {
            for finishReason in [nil, "length"] {
                var buffer = chunks.event(text: text, index: index, finishReason: finishReason)
                let line = try XCTUnwrap(buffer.readString(length: buffer.readableBytes))
                XCTAssertTrue(line.hasPrefix("data: ") && line.hasSuffix("\n\n"), line.debugDescription)
                let json = Data(line.dropFirst(6).dropLast(2).utf8)
                let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? NSDictionary, line)
                let expected = header.object(choices: [["text": text, "index": index, "logprobs": NSNull(),
                                                        "finish_reason": finishReason ?? NSNull()] as [String: Any]])
                XCTAssertEqual(parsed, expected as NSDictionary, line.debugDescription)
            }
        }
    }
}
