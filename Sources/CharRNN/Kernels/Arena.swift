/// One zero-initialised allocation handed out as named, non-overlapping slices. Workspaces are
/// sized once per shape from an arena, so the per-step loops never allocate.
public final class Arena<Scalar: BLASScalar> {
    public let storage: UnsafeMutableBufferPointer<Scalar>
    private var used = 0

    public init(capacity: Int) {
        storage = .allocate(capacity: max(capacity, 1))
        storage.initialize(repeating: 0)
    }

    deinit { storage.deallocate() }

    /// The next `count` scalars of the arena.
    public func slice(_ count: Int) -> UnsafeMutableBufferPointer<Scalar> {
        precondition(count >= 0 && used + count <= storage.count,
                     "arena overflow: \(used) + \(count) > \(storage.count)")
        defer { used += count }
        return UnsafeMutableBufferPointer(rebasing: storage[used..<(used + count)])
    }

    /// Scalars handed out so far.
    public var usedCount: Int { used }
}
