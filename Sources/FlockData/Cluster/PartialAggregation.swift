/// Aggregation in two steps, for a shuffle that moves one row per group and map task
/// instead of every row: each map task aggregates its own rows (`partials`), reducers
/// combine the partial rows of each group (`finals`). Only for aggregates that combine
/// exactly that way: counts, sums, means (a sum and a count), minimums and maximums.
/// Float sums then add per-partition subtotals, so they agree with the in-process answer
/// to rounding, not bit for bit (the other aggregates shuffle rows and agree exactly).
struct PartialAggregation {
    /// What map tasks compute, each named `__partial<i>`.
    let partials: [Expr]
    /// What reducers compute from the partial columns, named as the original aggregates.
    let finals: [Expr]

    /// The two steps for `aggregates`, or nil when one of them does not split.
    init?(_ aggregates: [Expr]) {
        var partials: [Expr] = []
        func partial(_ expr: Expr) -> Expr {
            let name = "__partial\(partials.count)"
            partials.append(expr.alias(name))
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
}
