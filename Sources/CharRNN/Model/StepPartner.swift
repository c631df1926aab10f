import CKernels
import Foundation
import Synchronization

/// What a `StepPartner` runs: one of two parts of a step, `part` 0 on the calling thread and 1 on
/// the partner's, both at once.
protocol SplitStep: AnyObject {
    func runPart(_ part: Int)
}

/// A second thread that computes half of the units of every step of a fixed-weight network, so that
/// one stream's step (sampling) or a batch's (serving) uses both cores: the caller posts a step, both
/// threads run their part, and they meet between layers, since a layer reads every unit of the
/// layer below. A one-row step of model L takes about 500 µs; a wake-up through the scheduler takes
/// tens of µs, so both sides spin on atomics while a step runs and between steps posted close
/// together, and the partner sleeps only after `spinsBeforeSleeping` idle spins (half a
/// millisecond: 20,000 `pause`s took 0.50–0.53 ms on the Zen 4 machine; a text being sampled never
/// lets it sleep, an idle server does).
///
/// Every counter only grows: `posted` steps, `finished` steps, and `arrivals` at meetings (each side
/// adds 1 per meeting, so at its k-th meeting a side waits for 2k). `partnerAsleep` and the
/// semaphore hand over a wake-up without losing one (see `partnerLoop`).
final class StepPartner: @unchecked Sendable {
    /// Idle spins (each a `pause`) before the partner sleeps on the semaphore.
    static let spinsBeforeSleeping = 20_000

    /// Whether this machine has a second core to split onto: on one, a spinning caller would wait
    /// for a partner that runs only when the scheduler takes the core from it.
    static let hasSecondCore = ProcessInfo.processInfo.activeProcessorCount >= 2

    private let posted = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let arrivals = Atomic<Int>(0)
    private let partnerAsleep = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    /// Meetings each side has reached, each touched by its own thread only (two properties, not one
    /// pair, so that neither side's update is an access to what the other writes).
    private var callerMeetings = 0
    private var partnerMeetings = 0
    /// The step being split: the network, which owns this partner and stops it before it goes.
    private unowned(unsafe) let step: any SplitStep

    init(step: any SplitStep) {
        self.step = step
        let thread = Thread { [self] in partnerLoop() }
        thread.stackSize = 1 << 22
        thread.start()
    }

    /// Runs `step.runPart(0)` here and `runPart(1)` on the partner; returns when both are done.
    func run() {
        let number = posted.add(1, ordering: .sequentiallyConsistent).newValue
        if partnerAsleep.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
        step.runPart(0)
        while finished.load(ordering: .acquiring) != number { ckernels_spin_pause() }
    }

    /// Waits until the other side has reached the same meeting: what one part wrote before it is then
    /// visible to the other.
    func meet(part: Int) {
        let reached: Int
        if part == 0 {
            callerMeetings += 1
            reached = callerMeetings
        } else {
            partnerMeetings += 1
            reached = partnerMeetings
        }
        arrivals.add(1, ordering: .acquiringAndReleasing)
        while arrivals.load(ordering: .acquiring) < 2 * reached { ckernels_spin_pause() }
    }

    /// Ends the partner's thread once it has finished any step; call before the step's owner goes.
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        posted.add(1, ordering: .sequentiallyConsistent)
        if partnerAsleep.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
    }

    /// Waits for each posted step, runs part 1, reports it finished. To sleep, the partner first says
    /// so (`partnerAsleep`), then looks at `posted` again: either the caller's post comes after that
    /// look, and the caller sees the flag and signals; or the look sees the post, and the partner takes
    /// the flag back, unless the caller already took it (and signalled: the partner takes the signal).
    private func partnerLoop() {
        var seen = 0
        while true {
            var spins = 0
            while posted.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < Self.spinsBeforeSleeping {
                    ckernels_spin_pause()
                    continue
                }
                partnerAsleep.store(true, ordering: .sequentiallyConsistent)
                if posted.load(ordering: .sequentiallyConsistent) == seen
                    || !partnerAsleep.exchange(false, ordering: .sequentiallyConsistent) {
                    wake.wait()
                }
                spins = 0
            }
            seen += 1
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            step.runPart(1)
            finished.store(seen, ordering: .releasing)
        }
    }
}
