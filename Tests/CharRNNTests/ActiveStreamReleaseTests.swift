import XCTest
@testable import CharRNN

/// A batcher's stream hands its first text to the consumer at once and the rest at `release()`,
/// joined; nothing is lost at the end, and stop texts still hold back what could start one.
final class ActiveStreamReleaseTests: XCTestCase {
    private let vocabulary = try! Vocabulary(symbols: ["\n", "a", "b", "c"], tokenization: .scalars)

    /// Logits that make the picker choose `id` (temperature 0).
    private func step(_ stream: ActiveStream, picking id: Int) -> FinishReason? {
        _ = stream.nextInput()
        var logits = [Float](repeating: 0, count: vocabulary.count)
        logits[id] = 1
        return logits.withUnsafeBufferPointer { stream.afterStep(logits: $0, vocabulary: vocabulary) }
    }

    private func stream(length: Int, stops: [String] = [], events: GenerationEvents) -> ActiveStream {
        ActiveStream(id: 1, state: RecurrentState(h: [0], c: [0], pending: nil), feed: [1],
                     settings: GenerationSettings(length: length, temperature: 0, seed: 1, stops: stops),
                     vocabularySize: vocabulary.count, continuation: events)
    }

    /// The texts a waiting consumer receives, event by event, while `drive` runs.
    private func texts(of events: GenerationEvents, drive: () async -> Void) async -> [String] {
        let consumer = Task {
            var seen: [String] = []
            for await event in events { if case .text(let text, _) = event { seen.append(text) } }
            return seen
        }
        await drive()
        return await consumer.value
    }

    private func pause() async { try? await Task.sleep(for: .milliseconds(20)) }

    func testTheFirstTextGoesAtOnceTheRestAtTheReleaseAndAtTheEnd() async {
        let events = GenerationEvents()
        let stream = stream(length: 6, events: events)
        let seen = await texts(of: events) {
            await pause()
            XCTAssertNil(step(stream, picking: 1))  // "a", at once
            for id in [2, 3, 2] {
                await pause()
                XCTAssertNil(step(stream, picking: id))  // held
            }
            await pause()
            stream.release()  // "bcb"
            await pause()
            stream.release()  // nothing new: no event
            XCTAssertNil(step(stream, picking: 1))
            XCTAssertEqual(step(stream, picking: 3), .length)
            stream.finish(reason: .length, vocabulary: vocabulary)  // "ac", then the end
        }
        XCTAssertEqual(seen, ["a", "bcb", "ac"])
    }

    func testAStopTextIsNeverSentAndTextBeforeItIs() async {
        let events = GenerationEvents()
        let stream = stream(length: 10, stops: ["bc"], events: events)
        let seen = await texts(of: events) {
            await pause()
            XCTAssertNil(step(stream, picking: 1))  // "a"
            await pause()
            XCTAssertNil(step(stream, picking: 2))  // "b": could start the stop text, held
            await pause()
            stream.release()
            await pause()
            XCTAssertEqual(step(stream, picking: 3), .stop)
            stream.finish(reason: .stop, vocabulary: vocabulary)
        }
        XCTAssertEqual(seen, ["a"])
    }
}
