/// Runs a join on equal keys: the keys of both sides get dense ids from one `GroupIndex`
/// (so equal values on either side share an id), right rows are bucketed by id with a
/// counting sort, and each left row finds its matches as one bucket. A null key matches
/// nothing (SQL). Same-named keys appear once; for right and full joins they take the
/// right side's value where the left has no row.
enum HashJoin {
    static func run(
        _ kind: JoinKind, left: Morsels, right: Morsels, leftKeys: [String], rightKeys: [String], schema: Schema
    ) throws -> Morsels {
        let (leftWhole, rightWhole) = (
            try RecordBatch.concatenate(left.batches, schema: Schema(of: left.batches[0])),
            try RecordBatch.concatenate(right.batches, schema: Schema(of: right.batches[0]))
        )
        let (leftCount, rightCount) = (leftWhole.rowCount, rightWhole.rowCount)
        let both = Morsels([leftWhole, rightWhole])
        var keyColumns: [[Column]] = []
        var nullKey = [Bool](repeating: false, count: leftCount + rightCount)
        for (leftName, rightName) in zip(leftKeys, rightKeys) {
            var pair = [try leftWhole.column(leftName), try rightWhole.column(rightName)]
            if pair[0].type != pair[1].type {
                let common: DataType =
                    pair.allSatisfy { $0.type.isText }
                    ? .utf8 : pair.allSatisfy { $0.type.isInteger } ? .int64 : .float64
                pair = pair.map { Cast.apply($0, to: common) }
            }
            for (side, column) in pair.enumerated() where column.validity != nil {
                for i in 0..<column.count where column.isNull(i) { nullKey[side * leftCount + i] = true }
            }
            keyColumns.append(pair)
        }
        let index = GroupIndex(keys: keyColumns, morsels: both)
        // Right rows bucketed by group id, in row order.
        var starts = [Int](repeating: 0, count: index.groupCount + 1)
        var leftHits = [Bool](repeating: false, count: index.groupCount)
        for r in 0..<rightCount where !nullKey[leftCount + r] { starts[Int(index.ids[leftCount + r]) + 1] += 1 }
        for l in 0..<leftCount where !nullKey[l] { leftHits[Int(index.ids[l])] = true }
        for g in 0..<index.groupCount { starts[g + 1] += starts[g] }
        var cursor = starts
        var bucketed = [Int32](repeating: 0, count: starts[index.groupCount])
        for r in 0..<rightCount where !nullKey[leftCount + r] {
            let g = Int(index.ids[leftCount + r])
            bucketed[cursor[g]] = Int32(r)
            cursor[g] += 1
        }
        var leftRows: [Int32] = []
        var rightRows: [Int32] = []
        for l in 0..<leftCount {
            let g = Int(index.ids[l])
            let matches = nullKey[l] ? 0..<0 : starts[g]..<starts[g + 1]
            switch kind {
            case .semi, .anti:
                if matches.isEmpty == (kind == .anti) { leftRows.append(Int32(l)) }
            default:
                for m in matches {
                    leftRows.append(Int32(l))
                    rightRows.append(bucketed[m])
                }
                if matches.isEmpty && (kind == .left || kind == .full) {
                    leftRows.append(Int32(l))
                    rightRows.append(-1)
                }
            }
        }
        if kind == .right || kind == .full {
            for r in 0..<rightCount where nullKey[leftCount + r] || !leftHits[Int(index.ids[leftCount + r])] {
                leftRows.append(-1)
                rightRows.append(Int32(r))
            }
        }
        if kind == .semi || kind == .anti { return Executor.split(leftWhole.gather(leftRows)) }
        var columns = leftWhole.columns.map { $0.gather(leftRows) }
        for (leftName, rightName) in zip(leftKeys, rightKeys)
        where leftName == rightName && kind != .inner && kind != .left {
            // Invariant: the key exists on both sides (checked when the plan was built).
            let j = leftWhole.names.firstIndex(of: leftName)!
            let merged = try Column.concatenate([
                leftWhole.columns[j], Cast.apply(try rightWhole.column(rightName), to: leftWhole.columns[j].type),
            ])
            columns[j] = merged.gather(zip(leftRows, rightRows).map { $0 >= 0 ? $0 : (Int32(leftCount) + $1) })
        }
        for (name, column) in zip(rightWhole.names, rightWhole.columns) where !sharedKey(name, leftKeys, rightKeys) {
            columns.append(column.gather(rightRows))
        }
        return Executor.split(try RecordBatch(names: schema.names, columns: columns))
    }

    /// Whether right column `name` is a key joined to a left key of the same name (shown once).
    static func sharedKey(_ name: String, _ leftKeys: [String], _ rightKeys: [String]) -> Bool {
        zip(leftKeys, rightKeys).contains { $0 == name && $1 == name }
    }
}
