import Foundation

/// Output folders, created the way `mkdir -p` creates them.
public enum Folder {
    /// Creates `path` and its missing parents; throws why it cannot, in the system's words.
    public static func create(_ path: String) throws(FolderError) {
        var current = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + component
            var status = stat()
            if stat(current, &status) == 0 {
                if status.st_mode & S_IFMT != S_IFDIR { throw .notAFolder(path: current) }
                continue
            }
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                throw .cannotCreate(path: current, reason: String(cString: strerror(errno)))
            }
        }
    }
}
