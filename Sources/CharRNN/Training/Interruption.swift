import Foundation

/// SIGINT and SIGTERM during training: the handler only records the signal; the trainer finishes
/// the current step, saves `latest` and stops. A second signal ends the process at once.
public enum Interruption {
    nonisolated(unsafe) static var pendingSignal: Int32 = 0

    public static func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { received in
                Interruption.pendingSignal = received
                signal(received, SIG_DFL)
            }
        }
    }

    /// The signal received since training began, if any.
    static var pending: Int32? { pendingSignal == 0 ? nil : pendingSignal }
}
