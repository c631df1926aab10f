import Foundation

/// A thread that runs its one job each time it is started, handed over through two semaphores
/// (the replicas of a batch: a window's work is long enough that a wake-up costs nothing).
final class WorkerThread: Sendable {
    private final class Flag: @unchecked Sendable { var running = true }
    private let go = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let flag = Flag()

    init(job: @escaping @Sendable () -> Void) {
        // The thread holds the semaphores and the flag, not the worker, so either may outlive the other.
        let (go, done, flag) = (go, done, flag)
        let thread = Thread {
            while true {
                go.wait()
                guard flag.running else { break }
                job()
                done.signal()
            }
        }
        thread.stackSize = 1 << 22
        thread.start()
    }

    func start() { go.signal() }

    func wait() { done.wait() }

    func stop() {
        flag.running = false
        go.signal()
    }
}
