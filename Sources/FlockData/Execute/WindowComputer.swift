import FlockTensor

/// Computes window functions for a projection: rows are laid out partition by partition
/// (group ids, then a stable counting sort), each partition is ordered on a thread of the
/// pool, and each function's value is written back at its row's place. The projection
/// then reads the results as extra columns `__w0`, `__w1`, ...
enum WindowComputer {
    /// `input` with a column per window function of `exprs`, and `exprs` reading those
    /// columns instead; `input` and `exprs` unchanged when there are none.
    static func appendWindows(_ exprs: [Expr], to input: Morsels) throws -> (Morsels, [Expr]) {
        var found: [(WindowFunction, Window)] = []
        let rewritten = exprs.map { expr in
            expr.replacingWindows { function, window in
                found.append((function, window))
                return col("__w\(found.count - 1)")
            }
        }
        guard !found.isEmpty else { return (input, exprs) }
        var batches = input.batches
        for (j, (function, window)) in found.enumerated() {
            let whole = try compute(function, window, input)
            for m in batches.indices {
                let range = input.range(m)
                batches[m] = try RecordBatch(
                    names: batches[m].names + ["__w\(j)"],
                    columns: batches[m].columns + [whole.slice(range)])
            }
        }
        return (Morsels(batches), rewritten)
    }

    /// The values of `function` over `window` for every row of `input`, in row order.
    static func compute(_ function: WindowFunction, _ window: Window, _ input: Morsels) throws -> Column {
        func evaluated(_ expr: Expr) throws -> Column {
            try Column.concatenate(try input.parallelMap { try Evaluator.evaluate(expr, input.batches[$0]) })
        }
        let keyColumns = try window.partitionBy.map { key in
            try input.parallelMap { try Evaluator.evaluate(key, input.batches[$0]) }
        }
        let index = GroupIndex(keys: keyColumns, morsels: input)
        let orderParts = try window.orderBy.map { key in
            try input.parallelMap { try Evaluator.evaluate(key.expr, input.batches[$0]) }
        }
        // One numeric order key without nulls: (key, row) pairs sorted in place per partition.
        let orderKeys = window.orderBy.count == 1 ? Sorter.orderKeys(parts: orderParts[0], window.orderBy[0]) : nil
        if case .rowNumber = function, let limit = window.topRows, let orderKeys,
            let numbers = WindowTopRows.rowNumbers(index, orderKeys: orderKeys, limit: limit)
        {
            return numbers
        }
        let orderColumns = try orderParts.map { try Column.concatenate($0) }
        let operand = try function.operand.map(evaluated)
        let rowCount = input.rowCount
        // Only the arrays the function writes: ranks, or source rows (and running sums).
        let (needsRanks, needsSums) = (function.isRanking, function.isCumulativeSum)
        var ranks = [Int64](repeating: 0, count: needsRanks ? rowCount : 0)
        var sources = [Int32](repeating: -1, count: needsRanks ? 0 : rowCount)
        var sums = [Double](repeating: 0, count: needsSums ? rowCount : 0)
        var (starts, laidOut, pairs) = layout(index, orderKeys: orderKeys)
        ranks.withUnsafeMutableBufferPointer { ranks in
            sources.withUnsafeMutableBufferPointer { sources in
                sums.withUnsafeMutableBufferPointer { sums in
                    laidOut.withUnsafeMutableBufferPointer { laidOut in
                        pairs.withUnsafeMutableBufferPointer { pairs in
                            let chunks = Swift.max(1, Swift.min(index.groupCount, 64))
                            Parallel.forEach(chunks) { chunk in
                                for g in index.groupCount * chunk / chunks..<index.groupCount * (chunk + 1) / chunks {
                                    let range = starts[g]..<starts[g + 1]
                                    if orderKeys != nil {
                                        Sorter.sortPairs(UnsafeMutableBufferPointer(rebasing: pairs[range]))
                                        for position in range { laidOut[position] = pairs[position].1 }
                                    } else {
                                        let sorted = Sorter.permutation(
                                            orderColumns, window.orderBy, rows: Array(laidOut[range]))
                                        for (offset, row) in sorted.enumerated() {
                                            laidOut[range.lowerBound + offset] = row
                                        }
                                    }
                                    fill(
                                        function, window, UnsafeBufferPointer(rebasing: laidOut[range]), orderColumns,
                                        operand, ranks, sources, sums)
                                }
                            }
                        }
                    }
                }
            }
        }
        switch function {
        case .rowNumber, .rank, .denseRank:
            return Column.fixed(Int64.self, count: rowCount, validity: nil) { _ = $0.initialize(from: ranks) }
        case .lag, .lead:
            // Invariant: lag and lead have an operand.
            return operand!.gather(sources)
        case .cumulativeSum:
            let validity = operand?.validity.map { _ in Bitmap.packing(count: rowCount) { sources[$0] >= 0 } }
            let column = Column.fixed(Double.self, count: rowCount, validity: validity) {
                _ = $0.initialize(from: sums)
            }
            return operand?.type.isInteger == true ? Cast.apply(column, to: .int64) : column
        }
    }

    /// Rows partition by partition, in input order within each (a stable counting sort in
    /// parallel: per-slice histograms, then each slice scatters its rows), with where each
    /// partition starts (one more entry holds the total) and, given order keys, the
    /// (key, row) pairs laid out alike.
    private static func layout(_ index: GroupIndex, orderKeys: [UInt64]?) -> (
        starts: [Int], rows: [Int32], pairs: [(UInt64, Int32)]
    ) {
        let (groups, rowCount) = (index.groupCount, index.ids.count)
        // A histogram per slice: one slice when there are too many partitions for copies.
        let slices =
            groups > 1 << 20 ? 1 : Swift.max(1, Swift.min(2 * ThreadPool.shared.threadCount, rowCount / 65_536))
        func slice(_ s: Int) -> Range<Int> { rowCount * s / slices..<rowCount * (s + 1) / slices }
        var cursors = [Int](repeating: 0, count: slices * groups)
        cursors.withUnsafeMutableBufferPointer { cursors in
            index.ids.withUnsafeBufferPointer { ids in
                Parallel.forEach(slices) { s in
                    for row in slice(s) { cursors[s * groups + Int(ids[row])] += 1 }
                }
            }
        }
        var starts = [Int](repeating: 0, count: groups + 1)
        var running = 0
        for g in 0..<groups {
            starts[g] = running
            for s in 0..<slices {
                let count = cursors[s * groups + g]
                cursors[s * groups + g] = running
                running += count
            }
        }
        starts[groups] = running
        var rows = [Int32](repeating: 0, count: rowCount)
        var pairs = [(UInt64, Int32)](repeating: (0, 0), count: orderKeys == nil ? 0 : rowCount)
        rows.withUnsafeMutableBufferPointer { rows in
            pairs.withUnsafeMutableBufferPointer { pairs in
                cursors.withUnsafeMutableBufferPointer { cursors in
                    index.ids.withUnsafeBufferPointer { ids in
                        Parallel.forEach(slices) { s in
                            for row in slice(s) {
                                let slot = s * groups + Int(ids[row])
                                rows[cursors[slot]] = Int32(row)
                                if let orderKeys { pairs[cursors[slot]] = (orderKeys[row], Int32(row)) }
                                cursors[slot] += 1
                            }
                        }
                    }
                }
            }
        }
        return (starts, rows, pairs)
    }

    /// The function's values for one partition's `rows`, in window order.
    private static func fill(
        _ function: WindowFunction, _ window: Window, _ rows: UnsafeBufferPointer<Int32>, _ orderColumns: [Column],
        _ operand: Column?,
        _ ranks: UnsafeMutableBufferPointer<Int64>, _ sources: UnsafeMutableBufferPointer<Int32>,
        _ sums: UnsafeMutableBufferPointer<Double>
    ) {
        var rank: Int64 = 0
        var dense: Int64 = 0
        var running = 0.0
        var seen = false
        for (position, row) in rows.enumerated() {
            let r = Int(row)
            switch function {
            case .rowNumber: ranks[r] = Int64(position + 1)
            case .rank, .denseRank:
                let tied =
                    position > 0
                    && zip(orderColumns, window.orderBy).allSatisfy {
                        Sorter.compare($0, Int(rows[position - 1]), r, $1) == 0
                    }
                if !tied {
                    rank = Int64(position + 1)
                    dense += 1
                }
                ranks[r] = function.isDense ? dense : rank
            case .lag(_, let offset):
                sources[r] = position - offset >= 0 && position - offset < rows.count ? rows[position - offset] : -1
            case .lead(_, let offset):
                sources[r] = position + offset >= 0 && position + offset < rows.count ? rows[position + offset] : -1
            case .cumulativeSum:
                // Invariant: cumulative sums have an operand.
                if !operand!.isNull(r) {
                    running += operand!.double(r)
                    seen = true
                }
                sums[r] = running
                sources[r] = seen ? row : -1
            }
        }
    }
}

extension WindowFunction {
    var isDense: Bool {
        if case .denseRank = self { return true }
        return false
    }

    /// Row numbers and ranks (the functions whose values are positions).
    var isRanking: Bool {
        switch self {
        case .rowNumber, .rank, .denseRank: true
        default: false
        }
    }

    var isCumulativeSum: Bool {
        if case .cumulativeSum = self { return true }
        return false
    }
}

extension Expr {
    /// The expression with every window function replaced by what `replace` makes of it.
    func replacingWindows(_ replace: (WindowFunction, Window) -> Expr) -> Expr {
        switch self {
        case .window(let function, let window): replace(function, window)
        case .column, .literal, .aggregate: self
        case .alias(let operand, let name): .alias(operand.replacingWindows(replace), name)
        case .cast(let operand, let type): .cast(operand.replacingWindows(replace), type)
        case .unary(let op, let operand): .unary(op, operand.replacingWindows(replace))
        case .binary(let op, let lhs, let rhs):
            .binary(op, lhs.replacingWindows(replace), rhs.replacingWindows(replace))
        }
    }
}
