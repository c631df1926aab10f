import XCTest
@testable import CharRNN

/// The primes the batcher tests submit: ten streams, so that the batch passes 8 rows mid-generation.
let batcherTestPrimes: [[Int32]] = [[1, 2, 3], [4], [5, 6, 7, 8, 9], [10, 0], [3], [2, 2], [9, 8], [7], [6, 5, 4], [1]]

/// Submits one stream per prime to a started batcher (stream i: `length(i)` characters at temperature
/// 1, seed i + 1) and returns each stream's text and final state, in the primes' order.
func generatedStreams(_ batcher: ContinuousBatcher, primes: [[Int32]], length: (Int) -> Int) async throws
    -> [(text: String, state: RecurrentState)] {
    let generations = try primes.enumerated().map { index, prime in
        try batcher.submit(prime: prime, settings: GenerationSettings(length: length(index), temperature: 1.0,
                                                                     seed: UInt64(index + 1)))
    }
    var ends: [(text: String, state: RecurrentState)] = []
    for generation in generations {
        var text = ""
        var state: RecurrentState?
        for await event in generation.events {
            switch event {
            case .text(let piece, _): text += piece
            case .finished(_, _, let final): state = final
            }
        }
        ends.append((text, try XCTUnwrap(state, "the stream finished")))
    }
    return ends
}
