/// The order of rows under sort keys: a stable permutation. A single numeric key without
/// nulls sorts (value, row) pairs; anything else sorts row numbers with a comparator that
/// walks the keys (nulls placed per key, NaN after numbers).
enum Sorter {
    /// Row numbers of `batch` in the order of `keys`; ties keep input order.
    static func permutation(of batch: RecordBatch, by keys: [SortKey]) throws -> [Int32] {
        let columns = try keys.map { try Evaluator.evaluate($0.expr, batch) }
        return permutation(columns, keys, rows: Array(0..<Int32(batch.rowCount)))
    }

    /// `rows` ordered by `columns` (one per key, indexed by row) under `keys`.
    static func permutation(_ columns: [Column], _ keys: [SortKey], rows: [Int32]) -> [Int32] {
        if columns.count == 1, columns[0].type.isInteger, columns[0].validity == nil {
            // Bitwise not reverses the order of Int64s without overflowing.
            let descending = keys[0].descending
            var pairs: [(Int64, Int32)] = columns[0].withInt64s { values in
                rows.map { (descending ? ~values[Int($0)] : values[Int($0)], $0) }
            }
            pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            return pairs.map(\.1)
        }
        if columns.count == 1, columns[0].type.isNumeric, columns[0].validity == nil {
            let descending = keys[0].descending
            var pairs: [(Double, Int32)] = columns[0].withDoubles { values in
                rows.map { (descending ? -values[Int($0)] : values[Int($0)], $0) }
            }
            pairs.sort { a, b in
                if a.0 != b.0 { return a.0 < b.0 || (b.0.isNaN && !a.0.isNaN) }
                return a.1 < b.1
            }
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

    /// How row `i` orders against row `j` under `key`: -1, 0 or 1.
    static func compare(_ column: Column, _ i: Int, _ j: Int, _ key: SortKey) -> Int {
        let (nullI, nullJ) = (column.isNull(i), column.isNull(j))
        if nullI || nullJ {
            if nullI && nullJ { return 0 }
            return nullI == key.nullsFirst ? -1 : 1
        }
        let order = RowOrder.compare(column, i, column, j)
        return key.descending ? -order : order
    }
}
