/// The order of rows under sort keys: a stable permutation. A single numeric key without
/// nulls sorts (order key, row) pairs of integers; anything else sorts row numbers with a comparator that
/// walks the keys (nulls placed per key, NaN after numbers).
enum Sorter {
    /// Row numbers of `batch` in the order of `keys`; ties keep input order.
    static func permutation(of batch: RecordBatch, by keys: [SortKey]) throws -> [Int32] {
        let columns = try keys.map { try Evaluator.evaluate($0.expr, batch) }
        return permutation(columns, keys, rows: Array(0..<Int32(batch.rowCount)))
    }

    /// `rows` ordered by `columns` (one per key, indexed by row) under `keys`.
    static func permutation(_ columns: [Column], _ keys: [SortKey], rows: [Int32]) -> [Int32] {
        if rows.count == columns.first?.count, let orderKeys = orderKeys(columns, keys) {
            var pairs = rows.map { (orderKeys[Int($0)], $0) }
            pairs.withUnsafeMutableBufferPointer { sortPairs($0) }
            return pairs.map(\.1)
        }
        return rows.sorted { a, b in
            for (column, key) in zip(columns, keys) {
                let order = compare(column, Int(a), Int(b), key)
                if order != 0 { return order < 0 }
            }
            return a < b
        }
    }

    /// For a single numeric key without nulls, a UInt64 per row whose unsigned order is the
    /// key's order (descending folded in): integers with the sign bit flipped, floats by
    /// their bits made monotonic, -0 as 0, NaN above every number (as the comparator
    /// orders it: last ascending, first descending); else nil.
    static func orderKeys(_ columns: [Column], _ keys: [SortKey]) -> [UInt64]? {
        guard columns.count == 1, keys.count == 1 else { return nil }
        return orderKeys(parts: columns, keys[0])
    }

    /// `orderKeys` of one key whose column comes in `parts` (a morsel each), the parts
    /// converted in parallel into one array; nil unless every part is numeric without nulls.
    static func orderKeys(parts: [Column], _ key: SortKey) -> [UInt64]? {
        guard let type = parts.first?.type, type.isNumeric,
            parts.allSatisfy({ $0.type == type && $0.validity == nil })
        else { return nil }
        var starts = [0]
        for part in parts { starts.append(starts[starts.count - 1] + part.count) }
        return [UInt64](unsafeUninitializedCapacity: starts[parts.count]) { buffer, initialized in
            let whole = buffer
            Parallel.forEach(parts.count) { p in
                let target = UnsafeMutableBufferPointer(rebasing: whole[starts[p]..<starts[p + 1]])
                orderKeys(of: parts[p], descending: key.descending, into: target)
            }
            initialized = starts[parts.count]
        }
    }

    /// Writes the order key of each value of `column` (numeric, no nulls) into `target`.
    private static func orderKeys(of column: Column, descending: Bool, into target: UnsafeMutableBufferPointer<UInt64>)
    {
        if column.type.isInteger {
            // Bitwise not reverses the order of Int64s without overflowing.
            column.withInt64s { values in
                for (i, value) in values.enumerated() {
                    target[i] = UInt64(bitPattern: descending ? ~value : value) ^ (1 << 63)
                }
            }
            return
        }
        column.withDoubles { values in
            for (i, value) in values.enumerated() {
                if value.isNaN {
                    target[i] = descending ? 0 : UInt64.max
                    continue
                }
                let signed = descending ? -value : value
                let bits = (signed == 0 ? 0.0 : signed).bitPattern
                target[i] = bits >> 63 == 1 ? ~bits : bits | (1 << 63)
            }
        }
    }

    /// Sorts (order key, row) pairs by key, then row: a stable order for rows given in
    /// increasing order, whatever the algorithm.
    static func sortPairs(_ buffer: UnsafeMutableBufferPointer<(UInt64, Int32)>) {
        var pairs = buffer
        if pairs.count <= 32 {
            // Insertion sort: the common case of small window partitions.
            for i in 1..<max(1, pairs.count) {
                let item = pairs[i]
                var j = i
                while j > 0 && (pairs[j - 1].0 > item.0 || (pairs[j - 1].0 == item.0 && pairs[j - 1].1 > item.1)) {
                    pairs[j] = pairs[j - 1]
                    j -= 1
                }
                pairs[j] = item
            }
            return
        }
        pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
    }

    /// How row `i` orders against row `j` under `key`: -1, 0 or 1.
    static func compare(_ column: Column, _ i: Int, _ j: Int, _ key: SortKey) -> Int {
        compare(column, i, column, j, key)
    }

    /// How value `i` of `a` orders against value `j` of `b` (columns of one key) under `key`.
    static func compare(_ a: Column, _ i: Int, _ b: Column, _ j: Int, _ key: SortKey) -> Int {
        let (nullI, nullJ) = (a.isNull(i), b.isNull(j))
        if nullI || nullJ {
            if nullI && nullJ { return 0 }
            return nullI == key.nullsFirst ? -1 : 1
        }
        let order = RowOrder.compare(a, i, b, j)
        return key.descending ? -order : order
    }
}
