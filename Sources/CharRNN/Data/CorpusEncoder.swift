/// Turns text fed in chunks into ids in one pass and bounded memory: a symbol gets the next
/// provisional id when it first appears, ids are stored in the narrowest width that holds the
/// symbols seen so far (widened once when the 257th or the 65,537th appears), and `finish`
/// renumbers them in code-point order, the vocabulary's. The text itself is never held whole, so
/// a stream (standard input) encodes as a file does.
struct CorpusEncoder {
    enum Column {
        case uint8(IDStorage<UInt8>)
        case uint16(IDStorage<UInt16>)
        case uint32(IDStorage<UInt32>)
    }

    let tokenization: Tokenization
    private(set) var column: Column
    /// The provisional id of each code point (`bytes`: of each byte value); −1 until it appears.
    private var provisionalID: [Int32]
    /// The code point of each provisional id, in order of first appearance.
    private var values: [UInt32] = []

    /// `capacity`: ids to make room for at once (the text's byte count when known).
    init(tokenization: Tokenization, capacity: Int) {
        self.tokenization = tokenization
        column = .uint8(IDStorage(capacity: capacity))
        provisionalID = [Int32](repeating: -1, count: tokenization == .bytes ? 0x100 : 0x11_0000)
    }

    /// Ids written so far.
    var count: Int {
        switch column {
        case .uint8(let ids): ids.count
        case .uint16(let ids): ids.count
        case .uint32(let ids): ids.count
        }
    }

    /// Appends the ids of `bytes`, which must end on a sequence boundary (see
    /// `StrictUTF8.completePrefixLength`). Returns the offset in `bytes` of the first ill-formed
    /// UTF-8 sequence (`scalars` only), after appending the ids before it; nil when all is well.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        reserve(count + bytes.count)  // at most one id per byte
        let scalars = tokenization == .scalars
        var i = 0
        while true {
            let end = provisionalID.withUnsafeBufferPointer { table in
                switch column {
                case .uint8(let ids): Self.encodeRun(bytes, from: &i, into: ids, table: table, scalars: scalars)
                case .uint16(let ids): Self.encodeRun(bytes, from: &i, into: ids, table: table, scalars: scalars)
                case .uint32(let ids): Self.encodeRun(bytes, from: &i, into: ids, table: table, scalars: scalars)
                }
            }
            switch end {
            case .finished:
                return nil
            case .illFormed:
                return i
            case .unseen(let value):
                // The next pass of the loop stores it, through the table.
                if values.count == 1 << 8 || values.count == 1 << 16 { widen() }
                provisionalID[Int(value)] = Int32(values.count)
                values.append(value)
            }
        }
    }

    private enum RunEnd {
        case finished
        case illFormed
        case unseen(UInt32)
    }

    /// Encodes `bytes` from `i` until their end, a symbol without an id yet, or an ill-formed
    /// sequence; `i` and `ids.count` advance past what was encoded. The hot loop: a table lookup
    /// and a store per ASCII byte (or per byte, for `bytes`).
    @inline(__always)
    private static func encodeRun<ID: FixedWidthInteger & UnsignedInteger>(
        _ bytes: UnsafeBufferPointer<UInt8>, from i: inout Int, into ids: IDStorage<ID>,
        table: UnsafeBufferPointer<Int32>, scalars: Bool
    ) -> RunEnd {
        let out = ids.base, n = bytes.count
        var written = ids.count, position = i
        defer { (ids.count, i) = (written, position) }
        while position < n {
            // A run of single-byte symbols.
            while position < n {
                let byte = bytes[position]
                if byte >= 0x80 && scalars { break }
                let id = table[Int(byte)]
                if id < 0 { return .unseen(UInt32(byte)) }
                out[written] = ID(truncatingIfNeeded: id)
                position &+= 1
                written &+= 1
            }
            guard position < n else { break }
            let (value, length) = StrictUTF8.decodeMultiByte(bytes, at: position)
            if length == 0 { return .illFormed }
            let id = table[Int(value)]
            if id < 0 { return .unseen(value) }
            out[written] = ID(truncatingIfNeeded: id)
            position &+= length
            written &+= 1
        }
        return .finished
    }

    private func reserve(_ needed: Int) {
        switch column {
        case .uint8(let ids): ids.reserve(needed)
        case .uint16(let ids): ids.reserve(needed)
        case .uint32(let ids): ids.reserve(needed)
        }
    }

    /// The next wider column, holding the same ids (held twice for the moment of the copy).
    private mutating func widen() {
        func copy<From, To>(_ ids: IDStorage<From>, to: To.Type) -> IDStorage<To> {
            let wider = IDStorage<To>(capacity: ids.capacity)
            for i in 0..<ids.count { wider.base[i] = To(ids.base[i]) }
            wider.count = ids.count
            return wider
        }
        switch column {
        case .uint8(let ids): column = .uint16(copy(ids, to: UInt16.self))
        case .uint16(let ids): column = .uint32(copy(ids, to: UInt32.self))
        case .uint32: preconditionFailure("more than 2³² symbols")
        }
    }

    /// The vocabulary, the symbols sorted by code point, with every id written renumbered to it.
    mutating func finish() -> Vocabulary {
        let sorted = values.sorted()
        var finalID = [Int32](repeating: 0, count: values.count)
        for (id, value) in sorted.enumerated() { finalID[Int(provisionalID[Int(value)])] = Int32(id) }
        if finalID.enumerated().contains(where: { $0.offset != Int($0.element) }) {
            finalID.withUnsafeBufferPointer { finalID in
                switch column {
                case .uint8(let ids): Self.renumber(ids, finalID)
                case .uint16(let ids): Self.renumber(ids, finalID)
                case .uint32(let ids): Self.renumber(ids, finalID)
                }
            }
        }
        for (id, value) in sorted.enumerated() { provisionalID[Int(value)] = Int32(id) }
        values = sorted
        return Vocabulary(sortedScalarValues: sorted, tokenization: tokenization)
    }

    private static func renumber<ID: FixedWidthInteger & UnsignedInteger>(_ ids: IDStorage<ID>,
                                                                         _ finalID: UnsafeBufferPointer<Int32>) {
        let base = ids.base
        for i in 0..<ids.count { base[i] = ID(truncatingIfNeeded: finalID[Int(base[i])]) }
    }
}
