/// Why a probe cannot measure anything on its input. Each description is one line: what, what is
/// wrong, what to do.
public enum ProbeError: Error, CustomStringConvertible, Equatable {
    case noBracketPairs(path: String, heldOutCharacters: Int)
    /// A results file that is not a `probe.csv`; `line` (1-based) when one row is at fault.
    case unreadableResults(path: String, line: Int?, reason: String)

    public var description: String {
        switch self {
        case .noBracketPairs(let path, let characters):
            return "\(path): its held-out part (the last \(characters) characters) has no matched (), [] or {} to score; "
                + "give source code with brackets, or a larger --val-frac"
        case .unreadableResults(let path, let line, let reason):
            return "\(path)\(line.map { ", line \($0)" } ?? ""): \(reason); give a probe.csv written by charnn probe long-range"
        }
    }
}
