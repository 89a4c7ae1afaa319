/// How a key column's values become bounded UInt64 codes (0 is null where it can be):
/// categorical codes + 1, bools 1 and 2, integers (and dates, timestamps) minus their
/// minimum + 1; floats and text get unbounded codes (bit patterns, a code per distinct
/// string) that `GroupIndex` densifies, plus a null flag of their own when they have nulls.
extension KeyCodes {
    /// The codes of key column `morselColumns` (one column per morsel).
    static func coding(_ morselColumns: [Column], morsels: Morsels) -> [KeyCodes] {
        let count = morsels.rowCount
        var codes = [UInt64](repeating: 0, count: count)
        guard let type = morselColumns.first?.type else { return [] }
        let hasNulls = morselColumns.contains { $0.validity != nil }
        switch type {
        case .categorical:
            let columns = Column.sharingCategories(morselColumns)
            codes.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(columns.count) { m in
                    let column = columns[m]
                    let start = morsels.range(m).lowerBound
                    column.values.withUnsafeBytes { raw in
                        let values = raw.bindMemory(to: Int32.self)
                        if let validity = column.validity {
                            for i in 0..<column.count { out[start + i] = validity[i] ? UInt64(values[i]) + 1 : 0 }
                        } else {
                            for i in 0..<column.count { out[start + i] = UInt64(values[i]) + 1 }
                        }
                    }
                }
            }
            // Invariant: categorical columns have categories.
            return [KeyCodes(codes: codes, bound: UInt64(columns[0].categories!.values.count) + 1)]
        case .bool:
            fill(&codes, morselColumns, morsels) { column, i in column.isNull(i) ? 0 : (column.boolValue(i) ? 2 : 1) }
            return [KeyCodes(codes: codes, bound: 3)]
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
            let (low, high) = integerRange(morselColumns, morsels) ?? (0, 0)
            let (span, overflow) = high.subtractingReportingOverflow(low)
            let bounded: Bool = !overflow && span < Int64.max - 2
            codes.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(morselColumns.count) { m in
                    let column = morselColumns[m]
                    column.withInt64s { values in
                        for (i, row) in morsels.range(m).enumerated() {
                            out[row] =
                                column.isNull(i)
                                ? 0
                                : bounded ? UInt64(values[i] &- low) + 1 : UInt64(bitPattern: values[i])
                        }
                    }
                }
            }
            if bounded { return [KeyCodes(codes: codes, bound: UInt64(span) + 2)] }
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
                    return values.isEmpty ? nil : (values.min()!, values.max()!)
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
