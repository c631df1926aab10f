import Foundation

/// Output folders, created the way `mkdir -p` creates them.
public enum Folder {
    /// Creates `path` and its missing parents; returns why it cannot, in the system's words.
    public static func create(_ path: String) -> String? {
        var current = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + component
            var status = stat()
            if stat(current, &status) == 0 {
                if status.st_mode & S_IFMT != S_IFDIR { return "\(current) is a file, not a folder" }
                continue
            }
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                return "cannot create \(current): \(String(cString: strerror(errno)))"
            }
        }
        return nil
    }
}
