/// Token ids stored in the narrowest unsigned type that holds the vocabulary: `UInt8` when
/// V ≤ 256, `UInt16` when V ≤ 65,536, else `UInt32`. Read as `Int32`; slices are O(1) views of
/// the same storage.
public struct CorpusIDs: Sendable, RandomAccessCollection {
    enum Storage: Sendable {
        case uint8(IDStorage<UInt8>)
        case uint16(IDStorage<UInt16>)
        case uint32(IDStorage<UInt32>)
    }

    let storage: Storage
    /// The ids of `storage` this view covers.
    private let range: Range<Int>

    /// All the ids written to `storage`.
    init(storage: Storage) {
        self.storage = storage
        range = switch storage {
        case .uint8(let ids): 0..<ids.count
        case .uint16(let ids): 0..<ids.count
        case .uint32(let ids): 0..<ids.count
        }
    }

    private init(storage: Storage, range: Range<Int>) {
        self.storage = storage
        self.range = range
    }

    /// Copies `ids` into the storage width that fits `vocabularySize`.
    public init(_ ids: some Collection<Int32>, vocabularySize: Int) {
        precondition(vocabularySize > 0, "vocabulary size \(vocabularySize) must be positive")
        precondition(ids.allSatisfy { $0 >= 0 && Int($0) < vocabularySize },
                     "ids must lie in 0..<\(vocabularySize)")
        func stored<ID: FixedWidthInteger & UnsignedInteger>(_: ID.Type) -> IDStorage<ID> {
            let storage = IDStorage<ID>(capacity: ids.count)
            for (i, id) in ids.enumerated() { storage.base[i] = ID(id) }
            storage.count = ids.count
            return storage
        }
        switch Self.bytesPerID(vocabularySize: vocabularySize) {
        case 1: self.init(storage: .uint8(stored(UInt8.self)))
        case 2: self.init(storage: .uint16(stored(UInt16.self)))
        default: self.init(storage: .uint32(stored(UInt32.self)))
        }
    }

    /// Bytes per stored id for a vocabulary of `vocabularySize` symbols: 1, 2 or 4.
    public static func bytesPerID(vocabularySize: Int) -> Int {
        vocabularySize <= 1 << 8 ? 1 : vocabularySize <= 1 << 16 ? 2 : 4
    }

    /// Bytes per stored id: 1 (`UInt8`), 2 (`UInt16`) or 4 (`UInt32`).
    public var bytesPerID: Int {
        switch storage {
        case .uint8: 1
        case .uint16: 2
        case .uint32: 4
        }
    }

    public var startIndex: Int { 0 }

    public var endIndex: Int { count }

    public var count: Int { range.count }

    public subscript(i: Int) -> Int32 {
        precondition(i >= 0 && i < range.count, "id index \(i) outside 0..<\(range.count)")
        return switch storage {
        case .uint8(let ids): Int32(ids.base[range.lowerBound + i])
        case .uint16(let ids): Int32(ids.base[range.lowerBound + i])
        case .uint32(let ids): Int32(ids.base[range.lowerBound + i])
        }
    }

    /// The ids at `range` (0-based), sharing storage with `self`.
    public func slice(_ range: Range<Int>) -> CorpusIDs {
        precondition(range.lowerBound >= 0 && range.upperBound <= count,
                     "slice \(range) outside 0..<\(count)")
        let lower = self.range.lowerBound
        return CorpusIDs(storage: storage, range: (lower + range.lowerBound)..<(lower + range.upperBound))
    }

    /// The viewed ids as a buffer of their stored width, for allocation-free loops.
    func withStored<Result>(_ body: (StoredIDs) -> Result) -> Result {
        switch storage {
        case .uint8(let ids): body(.uint8(UnsafeBufferPointer(rebasing: ids.buffer[range])))
        case .uint16(let ids): body(.uint16(UnsafeBufferPointer(rebasing: ids.buffer[range])))
        case .uint32(let ids): body(.uint32(UnsafeBufferPointer(rebasing: ids.buffer[range])))
        }
    }

    /// A view of stored ids in their own width.
    enum StoredIDs {
        case uint8(UnsafeBufferPointer<UInt8>)
        case uint16(UnsafeBufferPointer<UInt16>)
        case uint32(UnsafeBufferPointer<UInt32>)
    }
}
