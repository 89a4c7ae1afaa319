/// Aggregates by group id over morsels (`GroupFold` for running states, `GroupSelection`
/// for median, quantiles and distinct counts). Nulls are skipped; a group with no values
/// gets null (counts get 0); variance and deviation need two values.
enum GroupAggregates {
    /// `function` of `arguments[a][m]` (argument a, morsel m) per group of `index`, as a
    /// column of `type`.
    static func compute(
        _ function: AggregateFunction, _ arguments: [[Column]], type: DataType, index: GroupIndex, morsels: Morsels
    ) -> Column {
        let groups = index.groupCount
        switch function {
        case .countRows:
            let counts = GroupFold.rowCounts(index, morsels)
            return Column.fixed(Int64.self, count: groups, validity: nil) { _ = $0.initialize(from: counts) }
        case .count:
            return Column.fixed(Int64.self, count: groups, validity: nil) {
                _ = $0.initialize(from: valueCounts(arguments[0], index, morsels))
            }
        case .sum where type == .int64:
            return integerSums(arguments[0], index, morsels)
        case .sum, .mean, .variance, .standardDeviation:
            return moments(function, arguments[0], index, morsels)
        case .min, .max:
            return extremes(function == .min, arguments[0], type: type, index, morsels)
        case .first, .last:
            return edges(first: function == .first, arguments[0], index, morsels)
        case .correlation:
            return GroupMoments.statistic(
                .correlation, of: GroupMoments.accumulate(arguments[0], arguments[1], index, morsels))
        case .moment(let field):
            return GroupMoments.field(field, of: GroupMoments.accumulate(arguments[0], arguments[1], index, morsels))
        case .mergedMoments(let statistic):
            return GroupMoments.statistic(statistic, of: GroupMoments.merge(arguments, index, morsels))
        case .median, .quantile, .countDistinct:
            return GroupSelection.compute(function, arguments[0], index, morsels)
        }
    }

    /// Values that are not null, per group.
    static func valueCounts(_ values: [Column], _ index: GroupIndex, _ morsels: Morsels) -> [Int64] {
        // No nulls: the group sizes, counted once per index however many aggregates ask.
        guard values.contains(where: { $0.validity != nil }) else { return GroupFold.rowCounts(index, morsels) }
        return GroupFold.totals(index, morsels) { counts, owned, spare, m, ids in
            let column = values[m]
            if let validity = column.validity {
                for (i, id) in ids.enumerated() { counts[owned.contains(id) ? Int(id) : spare] += validity[i] ? 1 : 0 }
            } else {
                for id in ids { counts[owned.contains(id) ? Int(id) : spare] += 1 }
            }
        }
    }

    /// Validity of per-group results that need a value: none when no value is null and
    /// every group has a row (all but the global aggregate of no rows), else present where
    /// the group has a value.
    static func presence(_ values: [Column], _ index: GroupIndex, _ morsels: Morsels) -> Bitmap? {
        guard values.contains(where: { $0.validity != nil }) || index.ids.count < index.groupCount else { return nil }
        return present(valueCounts(values, index, morsels))
    }

    /// Validity: present where `counts` reaches `minimum`.
    static func present(_ counts: [Int64], minimum: Int64 = 1) -> Bitmap {
        Bitmap.packing(count: counts.count) { counts[$0] >= minimum }
    }

    private static func integerSums(_ values: [Column], _ index: GroupIndex, _ morsels: Morsels) -> Column {
        let sums = integerTotals(values, index, morsels)
        return Column.fixed(Int64.self, count: sums.count, validity: presence(values, index, morsels)) {
            _ = $0.initialize(from: sums)
        }
    }

    /// Wrapping Int64 sums per group of integer values (nulls add nothing), folded in
    /// commuting chunks.
    private static func integerTotals(_ values: [Column], _ index: GroupIndex, _ morsels: Morsels) -> [Int64] {
        GroupFold.totals(index, morsels) { sums, owned, spare, m, ids in
            let column = values[m]
            func fold<T: BinaryInteger>(_ x: UnsafeBufferPointer<T>) {
                if let validity = column.validity {
                    for (i, id) in ids.enumerated() {
                        sums[owned.contains(id) ? Int(id) : spare] &+= validity[i] ? Int64(x[i]) : 0
                    }
                } else {
                    for (i, id) in ids.enumerated() { sums[owned.contains(id) ? Int(id) : spare] &+= Int64(x[i]) }
                }
            }
            switch column.type {
            case .int32, .date32: column.values.withUnsafeBytes { fold($0.bindMemory(to: Int32.self)) }
            case .int64, .timestampMicroseconds: column.values.withUnsafeBytes { fold($0.bindMemory(to: Int64.self)) }
            default: column.withInt64s { fold($0) }
            }
        }
    }

    /// Float64 sums of integer values as Int64 totals, when no partial sum can reach 2^53 in
    /// magnitude (the largest magnitude times the rows stays below it): every float sum of
    /// such integers is exact, so the row-order float sum equals the integer total, and
    /// the commuting fold (each row read once) gives the same bits. Nil otherwise.
    private static func exactIntegerSums(_ values: [Column], _ index: GroupIndex, _ morsels: Morsels) -> [Double]? {
        guard values.allSatisfy({ $0.type.isInteger }) else { return nil }
        guard let (low, high) = KeyCodes.integerRange(values, morsels) else { return nil }
        let (bound, overflow) = Swift.max(low.magnitude, high.magnitude).multipliedReportingOverflow(
            by: UInt64(morsels.rowCount))
        guard !overflow, bound < 1 << 53 else { return nil }
        return integerTotals(values, index, morsels).map { Double($0) }
    }

    /// Sums, means, variances and deviations per group, each group's values added in row
    /// order: counts, then sums (exact integer totals where they cannot round), then for
    /// variances the squared deviations from each group's mean in a second pass (the
    /// two-pass algorithm: as accurate as running moments, without a division per row).
    private static func moments(
        _ function: AggregateFunction, _ values: [Column], _ index: GroupIndex, _ morsels: Morsels
    ) -> Column {
        let groups = index.groupCount
        let hasNulls = values.contains { $0.validity != nil }
        let sums = (hasNulls ? nil : exactIntegerSums(values, index, morsels)) ?? plainSums(values, index, morsels)
        let needsMoments = function == .variance || function == .standardDeviation
        let allPresent = !hasNulls && index.ids.count >= groups && !needsMoments
        // A sum of a column without nulls needs no counts (one pass over the rows fewer).
        guard function != .sum || !allPresent else {
            // `sums` may hold padding slots past the groups.
            return Column.fixed(Double.self, count: groups, validity: nil) {
                _ = $0.initialize(from: sums.prefix(groups))
            }
        }
        let counts = valueCounts(values, index, morsels)
        let validity: Bitmap? = allPresent ? nil : present(counts, minimum: needsMoments ? 2 : 1)
        guard needsMoments else {
            return Column.fixed(Double.self, count: groups, validity: validity) { out in
                for g in 0..<groups {
                    out[g] = function == .sum ? sums[g] : counts[g] > 0 ? sums[g] / Double(counts[g]) : 0
                }
            }
        }
        let means = (0..<groups).map { counts[$0] > 0 ? sums[$0] / Double(counts[$0]) : 0 }
        let squares = squaredDeviations(values, from: means, index, morsels)
        return Column.fixed(Double.self, count: groups, validity: validity) { out in
            for g in 0..<groups {
                let n = Double(counts[g])
                let variance = n > 1 ? squares[g] / (n - 1) : 0
                out[g] = function == .variance ? variance : variance.squareRoot()
            }
        }
    }

    /// Float64 sums per group (nulls add nothing), each group's in row order, folded
    /// without a branch per row (rows of groups a thread does not own go to its spare
    /// slot), int32 values read in place.
    private static func plainSums(_ values: [Column], _ index: GroupIndex, _ morsels: Morsels) -> [Double] {
        GroupFold.buffer(GroupFold.paddedCount(index, morsels), 0.0) { sums in
            GroupFold.runPadded(index, morsels) { owned, spare, m, ids in
                let column = values[m]
                func fold<T>(_ x: UnsafeBufferPointer<T>, _ double: (T) -> Double) {
                    if let validity = column.validity {
                        for (i, id) in ids.enumerated() {
                            sums[owned.contains(id) ? Int(id) : spare] += validity[i] ? double(x[i]) : 0
                        }
                    } else {
                        for (i, id) in ids.enumerated() { sums[owned.contains(id) ? Int(id) : spare] += double(x[i]) }
                    }
                }
                switch column.type {
                case .int32: column.values.withUnsafeBytes { fold($0.bindMemory(to: Int32.self)) { Double($0) } }
                default: column.withDoubles { fold($0) { $0 } }
                }
            }
        }
    }

    /// Per group, the sum of (value - the group's mean)^2 over its values, in row order.
    private static func squaredDeviations(
        _ values: [Column], from means: [Double], _ index: GroupIndex, _ morsels: Morsels
    ) -> [Double] {
        GroupFold.buffer(GroupFold.paddedCount(index, morsels), 0.0) { squares in
            means.withUnsafeBufferPointer { means in
                GroupFold.runPadded(index, morsels) { owned, spare, m, ids in
                    let column = values[m]
                    column.withDoubles { x in
                        if let validity = column.validity {
                            for (i, id) in ids.enumerated() {
                                let delta = validity[i] ? x[i] - means[Int(id)] : 0
                                squares[owned.contains(id) ? Int(id) : spare] += delta * delta
                            }
                        } else {
                            for (i, id) in ids.enumerated() {
                                let delta = x[i] - means[Int(id)]
                                squares[owned.contains(id) ? Int(id) : spare] += delta * delta
                            }
                        }
                    }
                }
            }
        }
    }

    /// The smallest or largest value per group (numbers compared as numbers, text by its
    /// bytes, others by their stored integers), as the row that holds it.
    private static func extremes(
        _ smallest: Bool, _ values: [Column], type: DataType, _ index: GroupIndex, _ morsels: Morsels
    ) -> Column {
        if type == .float64 || type == .float32 || type.isInteger {
            // Min and max commute: rows of groups a thread does not own go to its spare
            // slot; a NaN never replaces a value (comparisons with it are false); of equal
            // values the earlier stays, as chunks merge in row order.
            func better<T: Comparable>(_ earlier: T, _ later: T) -> T {
                (smallest ? later < earlier : later > earlier) ? later : earlier
            }
            func extreme<T: Comparable>(
                _ initial: T, _ read: (Column, (UnsafeBufferPointer<T>) -> Void) -> Void
            ) -> [T] {
                GroupFold.commuting(index, morsels, initial: initial, merge: better) { best, owned, spare, m, ids in
                    let column = values[m]
                    read(column) { x in
                        // One loop per direction: the choice read once, not once per row.
                        func fold(_ replaces: (T, T) -> Bool) {
                            if let validity = column.validity {
                                for (i, id) in ids.enumerated() where validity[i] {
                                    let g = owned.contains(id) ? Int(id) : spare
                                    if replaces(x[i], best[g]) { best[g] = x[i] }
                                }
                            } else {
                                for (i, id) in ids.enumerated() {
                                    let g = owned.contains(id) ? Int(id) : spare
                                    if replaces(x[i], best[g]) { best[g] = x[i] }
                                }
                            }
                        }
                        if smallest { fold(<) } else { fold(>) }
                    }
                }
            }
            let validity = presence(values, index, morsels)
            let column =
                type.isInteger
                ? Column.fixed(Int64.self, count: index.groupCount, validity: validity) { out in
                    _ = out.initialize(from: extreme(smallest ? Int64.max : .min) { $0.withInt64s($1) })
                }
                : Column.fixed(Double.self, count: index.groupCount, validity: validity) { out in
                    _ = out.initialize(from: extreme(smallest ? Double.infinity : -.infinity) { $0.withDoubles($1) })
                }
            return Cast.apply(column, to: type)
        }
        // Other types: the row holding the extreme, compared value by value.
        var bestRows = [Int](repeating: -1, count: index.groupCount)
        bestRows.withUnsafeMutableBufferPointer { bestRows in
            GroupFold.run(index, morsels) { owned, m, ids in
                let column = values[m]
                for (i, id) in ids.enumerated() where owned.contains(id) && !column.isNull(i) {
                    let g = Int(id)
                    let row = morsels.starts[m] + i
                    if bestRows[g] < 0 {
                        bestRows[g] = row
                        continue
                    }
                    let (bm, bi) = morsels.locate(bestRows[g])
                    let order = RowOrder.compare(column, i, values[bm], bi)
                    if smallest ? order < 0 : order > 0 { bestRows[g] = row }
                }
            }
        }
        return gatherRows(values, bestRows[...], morsels)
    }

    /// The value of each group's first or last row (nulls included).
    private static func edges(first: Bool, _ values: [Column], _ index: GroupIndex, _ morsels: Morsels) -> Column {
        if first { return gatherRows(values, index.firstRows[...], morsels) }
        let lastRows = GroupFold.buffer(index.groupCount, -1) { lastRows in
            GroupFold.run(index, morsels) { owned, m, ids in
                for (i, id) in ids.enumerated() where owned.contains(id) { lastRows[Int(id)] = morsels.starts[m] + i }
            }
        }
        return gatherRows(values, lastRows[...], morsels)
    }

    /// The values at global rows `rows` (-1: null) of the morsels' columns: fixed-width
    /// values copied straight from the morsels (`Column.gathering`); other types gathered
    /// per morsel, then put in `rows`' order (no copy of whole columns unless the rows are
    /// many).
    static func gatherRows(_ values: [Column], _ rows: ArraySlice<Int>, _ morsels: Morsels) -> Column {
        // Invariant: there is at least one morsel when there are groups; else an empty column.
        guard let first = values.first else { return Column.empty(.int64) }
        if let direct = Column.gathering(values, of: morsels, rows: rows) { return direct }
        guard values.count > 1 else { return first.gather(rows.map { Int32($0) }) }
        if rows.count * 4 > morsels.rowCount, let whole = try? Column.concatenate(values) {
            // Many rows (about one group per row): one copy beats a search per row.
            return whole.gather(rows.map { Int32($0) })
        }
        var perMorsel = [[Int32]](repeating: [], count: values.count)
        var placed = [(morsel: Int32, index: Int32)](repeating: (-1, 0), count: rows.count)
        for (k, row) in rows.enumerated() where row >= 0 {
            let (m, i) = morsels.locate(row)
            placed[k] = (Int32(m), Int32(perMorsel[m].count))
            perMorsel[m].append(Int32(i))
        }
        var offsets = [Int32](repeating: 0, count: values.count + 1)
        for m in values.indices { offsets[m + 1] = offsets[m] + Int32(perMorsel[m].count) }
        let pieces = zip(values, perMorsel).filter { !$1.isEmpty }.map { $0.gather($1) }
        let gathered = (try? Column.concatenate(pieces)) ?? first.gather([])
        return gathered.gather(placed.map { $0.morsel < 0 ? -1 : offsets[Int($0.morsel)] + $0.index })
    }
}
