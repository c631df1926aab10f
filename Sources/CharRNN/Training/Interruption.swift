import Foundation
import Synchronization

/// SIGINT and SIGTERM during training: the handler only records the signal (an atomic store, which
/// is async-signal-safe); the trainer finishes the current step, saves `latest` and stops. A second
/// signal ends the process at once.
public enum Interruption {
    private static let received = Atomic<Int32>(0)

    public static func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { signalNumber in
                Interruption.received.store(signalNumber, ordering: .relaxed)
                signal(signalNumber, SIG_DFL)
            }
        }
    }

    /// "SIGINT", "SIGTERM" or "signal N", as messages name it.
    static func name(of signal: Int32) -> String {
        signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
    }

    /// The signal received since training began, or 0.
    static var pendingSignal: Int32 { received.load(ordering: .relaxed) }
}
