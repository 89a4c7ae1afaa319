/// How a key column's values become bounded UInt64 codes (0 is null where it can be):
/// categorical codes + 1, bools 1 and 2, integers (and dates, timestamps) minus their
/// minimum + 1; floats and text get unbounded codes (bit patterns, a code per distinct
/// string) that `GroupIndex` densifies, plus a null flag of their own when they have nulls.
extension KeyCodes {
    /// The codes of key column `morselColumns` (one column per morsel).
    static func coding(_ morselColumns: [Column], morsels: Morsels) -> [KeyCodes] {
        // Categorical, bool and integers of a range that fits: `BoundedKey`'s codes.
        if let bounded = BoundedKey.packedCodes([morselColumns], morsels) { return [bounded] }
        let count = morsels.rowCount
        var codes = [UInt64](repeating: 0, count: count)
        guard let type = morselColumns.first?.type else { return [] }
        let hasNulls = morselColumns.contains { $0.validity != nil }
        switch type {
        case .float32, .float64:
            codes.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(morselColumns.count) { m in
                    let column = morselColumns[m]
                    column.withDoubles { values in
                        for (i, row) in morsels.range(m).enumerated() {
                            out[row] = column.isNull(i) ? 0 : values[i].groupingBits
                        }
                    }
                }
            }
            return withNullFlag(KeyCodes(codes: codes, bound: nil), morselColumns, morsels, hasNulls)
        case .utf8:
            var dictionary: [String: UInt64] = [:]
            for (m, column) in morselColumns.enumerated() {
                for (i, row) in morsels.range(m).enumerated() where !column.isNull(i) {
                    let text = column.text(i)
                    if let code = dictionary[text] {
                        codes[row] = code
                    } else {
                        codes[row] = UInt64(dictionary.count) + 1
                        dictionary[text] = codes[row]
                    }
                }
            }
            return [KeyCodes(codes: codes, bound: UInt64(dictionary.count) + 1)]
        default:
            // Integers whose range does not fit a bound: their bit patterns.
            codes.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(morselColumns.count) { m in
                    let column = morselColumns[m]
                    column.withInt64s { values in
                        for (i, row) in morsels.range(m).enumerated() {
                            out[row] = column.isNull(i) ? 0 : UInt64(bitPattern: values[i])
                        }
                    }
                }
            }
            return withNullFlag(KeyCodes(codes: codes, bound: nil), morselColumns, morsels, hasNulls)
        }
    }

    /// The smallest and largest non-null value of integer columns (one per morsel), nil
    /// when all are null.
    static func integerRange(_ columns: [Column], _ morsels: Morsels) -> (low: Int64, high: Int64)? {
        let ranges = try? morsels.parallelMap { m -> (Int64, Int64)? in
            let column = columns[m]
            return column.withInt64s { values in
                if column.validity == nil {
                    return values.isEmpty ? nil : bounds(values)
                }
                var low = Int64.max
                var high = Int64.min
                var any = false
                for i in 0..<column.count where !column.isNull(i) {
                    low = Swift.min(low, values[i])
                    high = Swift.max(high, values[i])
                    any = true
                }
                return any ? (low, high) : nil
            }
        }
        let present = (ranges ?? []).compactMap { $0 }
        guard !present.isEmpty else { return nil }
        return (present.map(\.0).min()!, present.map(\.1).max()!)
    }

    /// The smallest and largest of `values` (not empty) in one pass, four lanes at a time
    /// (a loop the compiler turns into vector min/max).
    static func bounds(_ values: UnsafeBufferPointer<Int64>) -> (Int64, Int64) {
        var (low0, low1, low2, low3) = (Int64.max, Int64.max, Int64.max, Int64.max)
        var (high0, high1, high2, high3) = (Int64.min, Int64.min, Int64.min, Int64.min)
        let whole = values.count & ~3
        var i = 0
        while i < whole {
            low0 = Swift.min(low0, values[i])
            high0 = Swift.max(high0, values[i])
            low1 = Swift.min(low1, values[i + 1])
            high1 = Swift.max(high1, values[i + 1])
            low2 = Swift.min(low2, values[i + 2])
            high2 = Swift.max(high2, values[i + 2])
            low3 = Swift.min(low3, values[i + 3])
            high3 = Swift.max(high3, values[i + 3])
            i += 4
        }
        while i < values.count {
            low0 = Swift.min(low0, values[i])
            high0 = Swift.max(high0, values[i])
            i += 1
        }
        return (
            Swift.min(Swift.min(low0, low1), Swift.min(low2, low3)),
            Swift.max(Swift.max(high0, high1), Swift.max(high2, high3))
        )
    }

    /// `values`, preceded by a 0/1 null flag when the column has nulls (so an unbounded
    /// code of 0 and a null stay apart).
    private static func withNullFlag(_ values: KeyCodes, _ columns: [Column], _ morsels: Morsels, _ hasNulls: Bool)
        -> [KeyCodes]
    {
        guard hasNulls else { return [values] }
        var flags = [UInt64](repeating: 0, count: morsels.rowCount)
        fill(&flags, columns, morsels) { column, i in column.isNull(i) ? 0 : 1 }
        return [KeyCodes(codes: flags, bound: 2), values]
    }

    /// `codes[row] = code(column, i)` for row i of every morsel, morsels in parallel.
    private static func fill(
        _ codes: inout [UInt64], _ columns: [Column], _ morsels: Morsels, _ code: (Column, Int) -> UInt64
    ) {
        codes.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(columns.count) { m in
                // One copy of the column per morsel (a copy per row retains its buffers).
                let column = columns[m]
                for (i, row) in morsels.range(m).enumerated() { out[row] = code(column, i) }
            }
        }
    }
}

extension Double {
    /// The bits that stand for this value as a key: one pattern for 0 and -0, and one for
    /// every NaN (grouping and the shuffle's hash treat them alike).
    var groupingBits: UInt64 { (self == 0 ? 0 : (isNaN ? Double.nan : self)).bitPattern }
}
