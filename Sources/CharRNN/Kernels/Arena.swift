/// One zero-initialised allocation handed out as named, non-overlapping slices, so the per-step
/// loops never allocate. A buffer layout is declared once, as the code that slices it:
/// `Arena.build` runs that code twice, first on a counting arena that only tallies the slices
/// (its addresses are placeholders, never read or written), then on an arena of exactly that size.
final class Arena<Scalar: BLASScalar> {
    private let storage: UnsafeMutableBufferPointer<Scalar>?
    private var used = 0
    /// Scalars held (for tests and memory accounting).
    var scalarCount: Int { storage?.count ?? used }

    private init(capacity: Int?) {
        if let capacity {
            let buffer = UnsafeMutableBufferPointer<Scalar>.allocate(capacity: max(capacity, 1))
            buffer.initialize(repeating: 0)
            storage = buffer
        } else {
            storage = nil
        }
    }

    deinit { storage?.deallocate() }

    /// What `layout` returns when it slices a real arena, and that arena (which the result's
    /// pointers point into: keep it alive as long as they are used).
    static func build<Layout>(_ layout: (Arena) -> Layout) -> (layout: Layout, arena: Arena) {
        let counting = Arena(capacity: nil)
        _ = layout(counting)
        let arena = Arena(capacity: counting.used)
        let result = layout(arena)
        precondition(arena.used == counting.used, "a buffer layout sliced \(arena.used) scalars after counting \(counting.used)")
        return (result, arena)
    }

    /// The next `count` scalars of the arena.
    func slice(_ count: Int) -> UnsafeMutableBufferPointer<Scalar> {
        precondition(count >= 0, "negative slice: \(count)")
        defer { used += count }
        guard let storage else {
            // Counting: an aligned, never-dereferenced address stands in for the slice.
            return UnsafeMutableBufferPointer(start: UnsafeMutablePointer(bitPattern: MemoryLayout<Scalar>.alignment),
                                              count: count)
        }
        precondition(used + count <= storage.count, "arena overflow: \(used) + \(count) > \(storage.count)")
        return UnsafeMutableBufferPointer(rebasing: storage[used..<(used + count)])
    }
}
