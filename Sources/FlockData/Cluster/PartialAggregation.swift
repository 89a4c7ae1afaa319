/// Aggregation in two steps, for a shuffle that moves one row per group and map task
/// instead of every row: each map task aggregates its own rows (`partials`), reducers
/// combine the partial rows of each group (`finals`). Only for aggregates that combine
/// that way: counts, sums, means (a sum and a count), minimums and maximums, and
/// variances, deviations and correlations (each task's count, means and sums of squared
/// deviations, merged as Chan et al. merge moments). Float sums and moments then combine
/// per-partition subtotals, so they agree with the in-process answer to rounding, not bit
/// for bit (the other aggregates shuffle rows and agree exactly).
///
/// Where a map task's rows are nearly all distinct by key (db-benchmark q10: 10M groups),
/// aggregating them first only costs a hash table; such a task instead ships each row as
/// the partial of a group of one row (`rowWise`), as Spark and DuckDB skip partial
/// aggregation that does not shrink. A sample of the task's rows decides (`shrinks`).
struct PartialAggregation {
    /// What map tasks compute, each named `__partial<i>`.
    let partials: [Expr]
    /// What reducers compute from the partial columns, named as the original aggregates.
    let finals: [Expr]

    /// The two steps for `aggregates`, or nil when one of them does not split.
    init?(_ aggregates: [Expr]) {
        var partials: [Expr] = []
        var named: [String: String] = [:]  // A partial's description -> its name (each made once).
        func partial(_ expr: Expr) -> Expr {
            if let name = named[expr.description] { return col(name) }
            let name = "__partial\(partials.count)"
            partials.append(expr.alias(name))
            named[expr.description] = name
            return col(name)
        }
        var splits = true
        let finals = aggregates.map { aggregate in
            let combined = aggregate.rewritten { expr -> Expr? in
                guard case .aggregate(let function, let arguments) = expr else { return nil }
                switch function {
                case .countRows, .count, .sum: return partial(expr).sum()
                case .min: return partial(expr).min()
                case .max: return partial(expr).max()
                case .mean:
                    let sum = partial(.aggregate(.sum, arguments))
                    return sum.sum() / partial(.aggregate(.count, arguments)).sum()
                case .variance, .standardDeviation, .correlation:
                    let pair = arguments.count == 2 ? arguments : [arguments[0], arguments[0]]
                    let fields = MomentField.allCases.map { partial(.aggregate(.moment($0), pair)) }
                    let statistic: MomentStatistic =
                        switch function {
                        case .variance: .variance
                        case .standardDeviation: .standardDeviation
                        default: .correlation
                        }
                    return .aggregate(.mergedMoments(statistic), fields)
                default:
                    splits = false
                    return expr
                }
            }
            if case .alias = combined { return combined }
            return combined.alias(aggregate.name)
        }
        guard splits else { return nil }
        self.partials = partials
        self.finals = finals
    }

    /// Each partial as one row makes it alone (the partial of a group of that row only),
    /// over rows of `schema`: the columns a task ships instead of aggregating.
    /// - Throws: the type checks of the partials.
    func rowWise(_ schema: Schema) throws -> [Expr] {
        try partials.map { named in
            guard case .alias(.aggregate(let function, let arguments), let name) = named else { return named }
            let value: Expr
            switch function {
            case .countRows: value = lit(1)
            case .count: value = arguments[0].isNotNull().cast(.int64)
            case .sum: value = arguments[0].cast(try named.type(in: schema))
            case .moment(.count): value = (arguments[0].isNotNull() && arguments[1].isNotNull()).cast(.float64)
            case .moment(.meanX): value = arguments[0].cast(.float64)
            case .moment(.meanY): value = arguments[1].cast(.float64)
            case .moment: value = lit(0.0)
            default: value = arguments[0]  // min, max: the value itself.
            }
            return value.alias(name)
        }
    }

    /// Whether aggregating `rows` by `keys` would shrink them: false when a sample (an
    /// eighth of the rows, at least 64K or all, in eight runs spread over them) is at least
    /// 90% distinct, which for uniformly drawn keys means 0.6 distinct keys per row or more in
    /// all the rows (aggregating would leave more than 60% of them). Only the keys of the
    /// sampled runs are read, and only their groups counted (`GroupIndex`).
    static func shrinks(_ rows: Morsels, keys: [Expr]) throws -> Bool {
        let count = rows.rowCount
        guard count >= 1 << 10, !keys.isEmpty else { return true }
        let run = Swift.max(count / 8, Swift.min(count, 1 << 16)) / 8
        let runs = try (0..<8).map { r in
            let (m, start) = rows.locate(r * (count - run) / 7)
            let batch = rows.batches[m]
            let range = start..<Swift.min(batch.rowCount, start + run)
            return try RecordBatch(
                names: keys.map(\.name), columns: try keys.map { try Evaluator.evaluate($0, batch).slice(range) })
        }
        let sample = Morsels(runs)
        let keyColumns = keys.indices.map { k in runs.map { $0.columns[k] } }
        return GroupIndex(keys: keyColumns, morsels: sample).groupCount * 10 < sample.rowCount * 9
    }
}
