import CharRNN
import XCTest

/// How training splits a step over its threads (`ThreadSplit`), which `Trainer`, the step timing and
/// `charnn bench` all read.
final class ThreadSplitTests: XCTestCase {
    func testStreamsThatDivideGoToReplicasWithOneBLASThreadEach() {
        let split = ThreadSplit(streams: 50, threads: 2)
        XCTAssertEqual(split, .replicas(count: 2, streamsEach: 25))
        XCTAssertEqual(split.replicaCount, 2)
        XCTAssertEqual(split.blasThreads, 1)
        XCTAssertEqual(split.description, "2 replicas × 25 streams")
    }

    func testStreamsThatDoNotDivideShareOneNetworksProducts() {
        let split = ThreadSplit(streams: 51, threads: 2)
        XCTAssertEqual(split, .sharedProducts(threads: 2))
        XCTAssertEqual(split.replicaCount, 1)
        XCTAssertEqual(split.blasThreads, 2)
        XCTAssertEqual(ThreadSplit(streams: 64, threads: 1).replicaCount, 1)
        XCTAssertEqual(ThreadSplit(streams: 64, threads: 1).blasThreads, 1)
    }
}
