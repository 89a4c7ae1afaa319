/// Splits a batch's rows into `count` pieces by a hash of key columns, so that rows with
/// equal keys land in the same piece on every machine: the map side of a shuffle. Rows
/// keep their order within a piece. Equal keys hash equal across types that compare
/// equal: text and categorical by their UTF-8 bytes, integers of any width as int64, and
/// numbers as float64 where `asFloat` asks (a join of an integer and a float key).
enum HashPartitioner {
    /// The rows of `batch` in `count` pieces by the hash of `keys`.
    static func split(_ batch: RecordBatch, keys: [String], asFloat: Set<String> = [], into count: Int) throws
        -> [RecordBatch]
    {
        try pieceRows(batch, keys: keys, asFloat: asFloat, count: count).map { batch.gather($0) }
    }

    /// Each piece's rows, in row order (a counting sort of the piece numbers).
    static func pieceRows(_ batch: RecordBatch, keys: [String], asFloat: Set<String>, count: Int) throws
        -> [[Int32]]
    {
        let pieces = try pieceNumbers(batch, keys: keys, asFloat: asFloat, count: count)
        var sizes = [Int](repeating: 0, count: count)
        for piece in pieces { sizes[piece] += 1 }
        var starts = [Int](repeating: 0, count: count)
        for p in sizes.indices.dropFirst() { starts[p] = starts[p - 1] + sizes[p - 1] }
        let ordered = [Int32](unsafeUninitializedCapacity: pieces.count) { rows, initialized in
            var cursor = starts
            for (row, piece) in pieces.enumerated() {
                rows[cursor[piece]] = Int32(truncatingIfNeeded: row)
                cursor[piece] += 1
            }
            initialized = pieces.count
        }
        return (0..<count).map { Array(ordered[starts[$0]..<starts[$0] + sizes[$0]]) }
    }

    /// The piece (0..<count) of each row.
    static func pieceNumbers(_ batch: RecordBatch, keys: [String], asFloat: Set<String>, count: Int) throws
        -> [Int]
    {
        var hashes = [UInt64](repeating: 0x243F_6A88_85A3_08D3, count: batch.rowCount)
        let columns = try keys.map { (try batch.column($0), asFloat.contains($0)) }
        hashes.withUnsafeMutableBufferPointer { hashes in
            for (column, asFloat) in columns { combine(hashes, column, asFloat: asFloat) }
        }
        let pieces = UInt64(count)
        return hashes.map { Int(((mix($0) >> 32) &* pieces) >> 32) }  // (A shift binds tighter than &*.)
    }

    /// Folds each row's key of `column` into its hash.
    private static func combine(_ hashes: UnsafeMutableBufferPointer<UInt64>, _ column: Column, asFloat: Bool) {
        func step(_ hash: UInt64, _ key: UInt64) -> UInt64 {
            (hash ^ key) &* 0x0000_0100_0000_01B3 &+ 0x2545_F491_4F6C_DD1D
        }
        func fold(_ value: (Int) -> UInt64) {
            if let validity = column.validity {
                for i in 0..<hashes.count {
                    hashes[i] = step(hashes[i], validity[i] ? value(i) : 0x9E37_79B9_7F4A_7C15)
                }
            } else {
                for i in 0..<hashes.count { hashes[i] = step(hashes[i], value(i)) }
            }
        }
        switch column.type {
        case .utf8:
            fold { mix(textHash(column, $0)) }
        case .categorical:
            // Invariant: categorical columns have categories.
            let perCategory = column.categories!.values.map { mix(bytesHash($0.utf8)) }
            perCategory.withUnsafeBufferPointer { perCategory in
                column.values.withUnsafeBytes { raw in
                    let codes = raw.bindMemory(to: Int32.self)
                    fold { perCategory[Int(codes[$0])] }
                }
            }
        case .bool:
            fold { column.boolValue($0) ? 2 : 1 }
        case .float32, .float64:
            column.withDoubles { values in fold { floatKey(values[$0]) } }
        default:
            if asFloat {
                column.withDoubles { values in fold { floatKey(values[$0]) } }
            } else {
                column.withInt64s { values in fold { mix(UInt64(bitPattern: values[$0])) } }
            }
        }
    }

    private static func floatKey(_ value: Double) -> UInt64 { mix(value.groupingBits) }

    private static func textHash(_ column: Column, _ row: Int) -> UInt64 {
        // Invariant: utf8 columns have offsets.
        let offsets = column.offsets!
        return column.values.withUnsafeBufferPointer {
            bytesHash(UnsafeBufferPointer(rebasing: $0[Int(offsets[row])..<Int(offsets[row + 1])]))
        }
    }

    /// FNV-1a over the bytes.
    private static func bytesHash<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt64 {
        bytes.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
    }

    /// SplitMix64's finalizer: every input bit moves every output bit.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
