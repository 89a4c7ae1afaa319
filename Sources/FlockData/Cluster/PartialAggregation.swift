/// Aggregation in two steps, for a shuffle that moves one row per group and map task
/// instead of every row: each map task aggregates its own rows (`partials`), reducers
/// combine the partial rows of each group (`finals`). Only for aggregates that combine
/// that way: counts, sums, means (a sum and a count), minimums and maximums, and
/// variances, deviations and correlations (each task's count, means and sums of squared
/// deviations, merged as Chan et al. merge moments). Float sums and moments then combine
/// per-partition subtotals, so they agree with the in-process answer to rounding, not bit
/// for bit (the other aggregates shuffle rows and agree exactly).
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
}
