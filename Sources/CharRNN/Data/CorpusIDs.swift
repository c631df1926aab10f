/// Token ids stored in the narrowest unsigned type that holds the vocabulary: `UInt8` when
/// V ≤ 256, `UInt16` when V ≤ 65,536, else `UInt32`. Read as `Int32`; slices are O(1) views.
public struct CorpusIDs: Sendable, RandomAccessCollection {
    enum Storage: Sendable {
        case uint8(ArraySlice<UInt8>)
        case uint16(ArraySlice<UInt16>)
        case uint32(ArraySlice<UInt32>)
    }

    let storage: Storage

    init(storage: Storage) {
        self.storage = storage
    }

    /// Copies `ids` into the storage width that fits `vocabularySize`.
    public init(_ ids: some Collection<Int32>, vocabularySize: Int) {
        precondition(vocabularySize > 0, "vocabulary size \(vocabularySize) must be positive")
        precondition(ids.allSatisfy { $0 >= 0 && Int($0) < vocabularySize },
                     "ids must lie in 0..<\(vocabularySize)")
        switch Self.bytesPerID(vocabularySize: vocabularySize) {
        case 1: storage = .uint8(ArraySlice(ids.map { UInt8($0) }))
        case 2: storage = .uint16(ArraySlice(ids.map { UInt16($0) }))
        default: storage = .uint32(ArraySlice(ids.map { UInt32($0) }))
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

    public var count: Int {
        switch storage {
        case .uint8(let ids): ids.count
        case .uint16(let ids): ids.count
        case .uint32(let ids): ids.count
        }
    }

    public subscript(i: Int) -> Int32 {
        switch storage {
        case .uint8(let ids): Int32(ids[ids.startIndex + i])
        case .uint16(let ids): Int32(ids[ids.startIndex + i])
        case .uint32(let ids): Int32(ids[ids.startIndex + i])
        }
    }

    /// The ids at `range` (0-based), sharing storage with `self`.
    public func slice(_ range: Range<Int>) -> CorpusIDs {
        precondition(range.lowerBound >= 0 && range.upperBound <= count,
                     "slice \(range) outside 0..<\(count)")
        func rebased<Element>(_ ids: ArraySlice<Element>) -> ArraySlice<Element> {
            ids[(ids.startIndex + range.lowerBound)..<(ids.startIndex + range.upperBound)]
        }
        switch storage {
        case .uint8(let ids): return CorpusIDs(storage: .uint8(rebased(ids)))
        case .uint16(let ids): return CorpusIDs(storage: .uint16(rebased(ids)))
        case .uint32(let ids): return CorpusIDs(storage: .uint32(rebased(ids)))
        }
    }
}
