/// Why an output folder could not be created. `description` is one line in the system's words;
/// callers put it into their own error, which says what the folder was for and what to do.
public enum FolderError: Error, CustomStringConvertible, Equatable {
    /// `path`, one of the folders on the way, exists and is not a folder.
    case notAFolder(path: String)
    /// mkdir failed on `path` with `reason` (strerror of errno).
    case cannotCreate(path: String, reason: String)

    public var description: String {
        switch self {
        case .notAFolder(let path): return "\(path) is a file, not a folder"
        case .cannotCreate(let path, let reason): return "cannot create \(path): \(reason)"
        }
    }
}
