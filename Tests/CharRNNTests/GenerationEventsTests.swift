import XCTest
@testable import CharRNN

/// Text yielded while the consumer is away arrives as one event; the order and the end are kept.
final class GenerationEventsTests: XCTestCase {
    func testTextWaitingForTheConsumerIsJoined() async {
        let events = GenerationEvents()
        events.yield(.text("a", []))
        events.yield(.text("b", []))
        events.yield(.text("c", []))
        events.yield(.finished(.length, generated: 3, state: RecurrentState(h: [], c: [], pending: nil)))
        events.yield(.text("after the end is still delivered in order", []))
        events.finish()
        events.yield(.text("after finish: dropped", []))
        var seen: [String] = []
        for await event in events {
            switch event {
            case .text(let text, _): seen.append(text)
            case .finished(let reason, let generated, _): seen.append("finished \(reason) \(generated)")
            }
        }
        XCTAssertEqual(seen, ["abc", "finished length 3", "after the end is still delivered in order"])
    }

    func testAWaitingConsumerGetsEachEventAsItComes() async {
        let events = GenerationEvents()
        let consumer = Task {
            var seen: [String] = []
            for await event in events { if case .text(let text, _) = event { seen.append(text) } }
            return seen
        }
        for piece in ["x", "y", "z"] {
            // Let the consumer reach its wait before each yield.
            try? await Task.sleep(for: .milliseconds(20))
            events.yield(.text(piece, []))
        }
        try? await Task.sleep(for: .milliseconds(20))
        events.finish()
        let seen = await consumer.value
        XCTAssertEqual(seen.joined(), "xyz", "nothing lost or reordered")
        XCTAssertEqual(seen.count, 3, "a consumer already waiting is handed each event alone: \(seen)")
    }

    func testCancellingAWaitingConsumerEndsTheEventsAndCallsOnCancel() async {
        let events = GenerationEvents()
        let cancelled = expectation(description: "onCancel")
        events.setOnCancel { cancelled.fulfill() }
        let consumer = Task {
            var count = 0
            for await _ in events { count += 1 }
            return count
        }
        try? await Task.sleep(for: .milliseconds(20))
        consumer.cancel()
        await fulfillment(of: [cancelled], timeout: 5)
        let count = await consumer.value
        XCTAssertEqual(count, 0)
    }
}
