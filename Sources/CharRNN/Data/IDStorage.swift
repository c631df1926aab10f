#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Token ids of one width in one `malloc` block that grows and shrinks with `realloc`. For a large
/// block glibc moves the pages (`mremap`) instead of copying them, so growing a gigabyte of ids
/// never holds it twice, and capacity reserved but never written costs no memory.
///
/// Written only while a corpus is encoded and split; read-only once a `CorpusIDs` shares it.
final class IDStorage<ID: FixedWidthInteger & UnsignedInteger>: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<ID>
    private(set) var capacity: Int
    /// Ids written, from `base`.
    var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = Self.reallocate(nil, capacity: self.capacity)
    }

    deinit { free(base) }

    /// Makes room for at least `needed` ids in all, growing by at least half the capacity so that
    /// appending chunk after chunk reallocates O(log n) times.
    func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        capacity = max(needed, capacity + capacity / 2)
        base = Self.reallocate(base, capacity: capacity)
    }

    /// Gives back the capacity beyond `count`.
    func shrinkToFit() {
        guard capacity > max(count, 1) else { return }
        capacity = max(count, 1)
        base = Self.reallocate(base, capacity: capacity)
    }

    var buffer: UnsafeBufferPointer<ID> { UnsafeBufferPointer(start: base, count: count) }

    private static func reallocate(_ pointer: UnsafeMutablePointer<ID>?, capacity: Int) -> UnsafeMutablePointer<ID> {
        let bytes = capacity * MemoryLayout<ID>.stride
        guard let raw = realloc(UnsafeMutableRawPointer(pointer), bytes) else {
            fatalError("out of memory: cannot hold \(capacity) ids of \(MemoryLayout<ID>.stride) bytes")
        }
        return raw.bindMemory(to: ID.self, capacity: capacity)
    }
}
