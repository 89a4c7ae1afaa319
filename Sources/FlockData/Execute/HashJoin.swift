/// Runs a join on equal keys: the keys of both sides get dense ids from one `GroupIndex`
/// (so equal values on either side share an id), right rows are bucketed by id with a
/// counting sort, and each left morsel, in parallel, finds every row's matches as one
/// bucket and gathers its output rows: the left side is never copied whole, and each
/// output morsel is the join of one left morsel (in left order). A null key matches
/// nothing (SQL). Same-named keys appear once; for right and full joins, right rows that
/// no left row matched come last, with the right side's key values.
enum HashJoin {
    static func run(
        _ kind: JoinKind, left: Morsels, right: Morsels, leftKeys: [String], rightKeys: [String], schema: Schema
    ) throws -> Morsels {
        let rightWhole = try RecordBatch.concatenate(right.batches, schema: Schema(of: right.batches[0]))
        let both = Morsels(left.batches + [rightWhole])
        let rightStart = left.rowCount
        var keyColumns: [[Column]] = []
        for (leftName, rightName) in zip(leftKeys, rightKeys) {
            var columns = try left.batches.map { try $0.column(leftName) } + [try rightWhole.column(rightName)]
            let types = Set(columns.map(\.type))
            if types.count > 1 {
                let common: DataType =
                    types.allSatisfy(\.isText) ? .utf8 : types.allSatisfy(\.isInteger) ? .int64 : .float64
                columns = columns.map { $0.type == common ? $0 : Cast.apply($0, to: common) }
            }
            keyColumns.append(columns)
        }
        let index = GroupIndex(keys: keyColumns, morsels: both)
        func hasNullKey(_ morsel: Int, _ row: Int) -> Bool { keyColumns.contains { $0[morsel].isNull(row) } }
        let anyNulls = keyColumns.contains { $0.contains { $0.validity != nil } }
        // Right rows bucketed by group id, in row order.
        let rightMorsel = left.batches.count
        var starts = [Int](repeating: 0, count: index.groupCount + 1)
        let rightValid = (0..<rightWhole.rowCount).map { !anyNulls || !hasNullKey(rightMorsel, $0) }
        for r in 0..<rightWhole.rowCount where rightValid[r] { starts[Int(index.ids[rightStart + r]) + 1] += 1 }
        for g in 0..<index.groupCount { starts[g + 1] += starts[g] }
        var cursor = starts
        var bucketed = [Int32](repeating: 0, count: starts[index.groupCount])
        for r in 0..<rightWhole.rowCount where rightValid[r] {
            let g = Int(index.ids[rightStart + r])
            bucketed[cursor[g]] = Int32(r)
            cursor[g] += 1
        }
        var outputs = try Parallel.map(left.batches.count) { m -> RecordBatch in
            let batch = left.batches[m]
            var leftRows: [Int32] = []
            var rightRows: [Int32] = []
            leftRows.reserveCapacity(batch.rowCount)
            if kind != .semi && kind != .anti { rightRows.reserveCapacity(batch.rowCount) }
            let offset = left.range(m).lowerBound
            for l in 0..<batch.rowCount {
                let g = Int(index.ids[offset + l])
                let matches = anyNulls && hasNullKey(m, l) ? 0..<0 : starts[g]..<starts[g + 1]
                switch kind {
                case .semi, .anti:
                    if matches.isEmpty == (kind == .anti) { leftRows.append(Int32(l)) }
                default:
                    for match in matches {
                        leftRows.append(Int32(l))
                        rightRows.append(bucketed[match])
                    }
                    if matches.isEmpty && (kind == .left || kind == .full) {
                        leftRows.append(Int32(l))
                        rightRows.append(-1)
                    }
                }
            }
            if kind == .semi || kind == .anti { return batch.gather(leftRows) }
            return try joined(
                batch.gather(leftRows), rightWhole.gather(rightRows), leftKeys, rightKeys, schema: schema)
        }
        if kind == .right || kind == .full {
            var matched = [Bool](repeating: false, count: index.groupCount)
            for m in 0..<left.batches.count {
                let offset = left.range(m).lowerBound
                for l in 0..<left.batches[m].rowCount where !anyNulls || !hasNullKey(m, l) {
                    matched[Int(index.ids[offset + l])] = true
                }
            }
            let unmatched = (0..<rightWhole.rowCount).filter {
                !rightValid[$0] || !matched[Int(index.ids[rightStart + $0])]
            }
            if !unmatched.isEmpty {
                outputs.append(
                    try unmatchedRight(
                        rightWhole.gather(unmatched.map(Int32.init)), left: left.batches[0], leftKeys, rightKeys,
                        schema: schema))
            }
        }
        return Morsels(outputs)
    }

    /// Left rows beside their right rows: the right side's columns that are not a shared key.
    private static func joined(
        _ left: RecordBatch, _ right: RecordBatch, _ leftKeys: [String], _ rightKeys: [String], schema: Schema
    ) throws -> RecordBatch {
        var columns = left.columns
        for (name, column) in zip(right.names, right.columns) where !sharedKey(name, leftKeys, rightKeys) {
            columns.append(column)
        }
        return try RecordBatch(names: schema.names, columns: columns)
    }

    /// Right rows that no left row matched: null left columns, except shared keys, which
    /// take the right rows' values (cast to the left key's type).
    private static func unmatchedRight(
        _ right: RecordBatch, left: RecordBatch, _ leftKeys: [String], _ rightKeys: [String], schema: Schema
    ) throws -> RecordBatch {
        let nothing = [Int32](repeating: -1, count: right.rowCount)
        var leftColumns = left.columns.map { $0.gather(nothing) }
        for (leftName, rightName) in zip(leftKeys, rightKeys) where leftName == rightName {
            // Invariant: the key exists on both sides (checked when the plan was built).
            let j = left.names.firstIndex(of: leftName)!
            leftColumns[j] = Cast.apply(try right.column(rightName), to: left.columns[j].type)
        }
        return try joined(
            try RecordBatch(names: left.names, columns: leftColumns), right, leftKeys, rightKeys, schema: schema)
    }

    /// Whether right column `name` is a key joined to a left key of the same name (shown once).
    static func sharedKey(_ name: String, _ leftKeys: [String], _ rightKeys: [String]) -> Bool {
        zip(leftKeys, rightKeys).contains { $0 == name && $1 == name }
    }
}
