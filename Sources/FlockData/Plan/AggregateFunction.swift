/// What an aggregate computes from the rows of a group. Nulls are skipped (as SQL does); a
/// group whose values are all null gets null, except for the counts.
public enum AggregateFunction: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Rows in the group, nulls included (`count()`, SQL's `count(*)`).
    case countRows
    /// Values that are not null.
    case count
    /// Distinct values that are not null.
    case countDistinct
    case sum, mean, min, max
    /// The middle value (the mean of the two middle ones for an even count).
    case median
    /// The value at fraction q of the sorted values, interpolated linearly (q in 0...1).
    case quantile(Double)
    /// Sample variance and standard deviation (divided by n - 1).
    case variance, standardDeviation
    /// The value of the group's first or last row, in the input's order.
    case first, last
    /// Pearson's correlation of two expressions.
    case correlation
    /// The first step of variance, deviation or correlation in two steps (a cluster's map
    /// tasks): one field of the moments of the rows where both arguments are present.
    case moment(MomentField)
    /// The second step: the statistic from the partial moments of several row sets (six
    /// arguments, the fields in `MomentField` order), merged in row order.
    case mergedMoments(MomentStatistic)

    /// How many arguments it takes.
    var arity: Int {
        switch self {
        case .countRows: 0
        case .correlation, .moment: 2
        case .mergedMoments: MomentField.allCases.count
        default: 1
        }
    }

    /// Whether it needs every value of a group at once (not a running state).
    var isHolistic: Bool {
        switch self {
        case .median, .quantile, .countDistinct: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .countRows: "count"
        case .count: "count"
        case .countDistinct: "count_distinct"
        case .sum: "sum"
        case .mean: "mean"
        case .min: "min"
        case .max: "max"
        case .median: "median"
        case .quantile(let q): "quantile_\(q)"
        case .variance: "var"
        case .standardDeviation: "std"
        case .first: "first"
        case .last: "last"
        case .correlation: "corr"
        case .moment(let field): "moment_\(field)"
        case .mergedMoments(let statistic): "merged_\(statistic)"
        }
    }
}

/// A field of the running moments of value pairs (x, y), as `GroupAggregates` keeps them
/// per group: what a map task ships instead of rows for var, std and corr.
public enum MomentField: Int, CaseIterable, Sendable, Codable {
    case count, meanX, meanY, squaresX, squaresY, coMoment
}

/// What merged moments make (`AggregateFunction.mergedMoments`).
public enum MomentStatistic: Sendable, Codable {
    case variance, standardDeviation, correlation
}

/// Aggregates of an expression (`col("v1").sum()`), for `groupBy(...).agg(...)` and for
/// whole-frame aggregation in `select`.
extension Expr {
    /// The sum of the values.
    public func sum() -> Expr { .aggregate(.sum, [self]) }
    /// The mean of the values.
    public func mean() -> Expr { .aggregate(.mean, [self]) }
    /// The smallest value.
    public func min() -> Expr { .aggregate(.min, [self]) }
    /// The largest value.
    public func max() -> Expr { .aggregate(.max, [self]) }
    /// How many values are not null.
    public func count() -> Expr { .aggregate(.count, [self]) }
    /// How many distinct values are not null.
    public func countDistinct() -> Expr { .aggregate(.countDistinct, [self]) }
    /// The median value.
    public func median() -> Expr { .aggregate(.median, [self]) }
    /// The value at fraction `q` (0...1) of the sorted values, linearly interpolated.
    public func quantile(_ q: Double) -> Expr { .aggregate(.quantile(q), [self]) }
    /// The sample variance.
    public func variance() -> Expr { .aggregate(.variance, [self]) }
    /// The sample standard deviation.
    public func std() -> Expr { .aggregate(.standardDeviation, [self]) }
    /// The value of the first row.
    public func first() -> Expr { .aggregate(.first, [self]) }
    /// The value of the last row.
    public func last() -> Expr { .aggregate(.last, [self]) }
}

/// How many rows (nulls included): `count()` in an aggregation.
public func count() -> Expr { .aggregate(.countRows, []) }

/// Pearson's correlation of `x` and `y` over the rows where both are present.
public func corr(_ x: Expr, _ y: Expr) -> Expr { .aggregate(.correlation, [x, y]) }
