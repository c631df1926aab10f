/// Why a probe cannot measure anything on its input. Each description is one line: what, what is
/// wrong, what to do.
public enum ProbeError: Error, CustomStringConvertible, Equatable {
    case noBracketPairs(path: String, heldOutCharacters: Int)

    public var description: String {
        switch self {
        case .noBracketPairs(let path, let characters):
            return "\(path): its held-out part (the last \(characters) characters) has no matched (), [] or {} to score; "
                + "give source code with brackets, or a larger --val-frac"
        }
    }
}
