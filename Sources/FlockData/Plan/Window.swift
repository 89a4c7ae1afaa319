/// How rows are ordered when sorting or within a window: an expression, its direction,
/// and where nulls go (last by default, as DuckDB and Polars do).
public struct SortKey: Sendable, Codable, CustomStringConvertible {
    /// What to sort by.
    public var expr: Expr
    /// Largest first.
    public var descending: Bool
    /// Nulls before every value.
    public var nullsFirst: Bool

    /// A key on `expr`.
    public init(_ expr: Expr, descending: Bool = false, nullsFirst: Bool = false) {
        self.expr = expr
        self.descending = descending
        self.nullsFirst = nullsFirst
    }

    public var description: String {
        "\(expr)\(descending ? " DESC" : "")\(nullsFirst ? " NULLS FIRST" : "")"
    }
}

extension Expr {
    /// This expression, ascending, as a sort key.
    public func ascending(nullsFirst: Bool = false) -> SortKey { SortKey(self, nullsFirst: nullsFirst) }
    /// This expression, descending, as a sort key.
    public func descending(nullsFirst: Bool = false) -> SortKey {
        SortKey(self, descending: true, nullsFirst: nullsFirst)
    }
}

/// The rows a window function sees: those with the same `partitionBy` values, in
/// `orderBy` order (SQL's `OVER (PARTITION BY ... ORDER BY ...)`).
public struct Window: Sendable, Codable, CustomStringConvertible {
    /// The expressions whose values split rows into partitions (none: one partition).
    public var partitionBy: [Expr]
    /// The order of rows within a partition.
    public var orderBy: [SortKey]
    /// Set by the optimizer when a filter above keeps only each partition's first rows
    /// (`row_number() ... <= k`): `row_number()` then numbers those and leaves the rest
    /// null (`WindowTopRows`). Nil: every row is numbered.
    var topRows: Int?

    /// A window over `partitionBy` partitions ordered by `orderBy`.
    public init(partitionBy: [Expr] = [], orderBy: [SortKey] = []) {
        self.partitionBy = partitionBy
        self.orderBy = orderBy
    }

    public var description: String {
        var parts: [String] = []
        if !partitionBy.isEmpty {
            parts.append("PARTITION BY " + partitionBy.map(\.description).joined(separator: ", "))
        }
        if !orderBy.isEmpty { parts.append("ORDER BY " + orderBy.map(\.description).joined(separator: ", ")) }
        if let topRows { parts.append("[first \(topRows) rows per partition]") }
        return parts.joined(separator: " ")
    }
}

/// What a window computes for each row from the rows of its partition.
public enum WindowFunction: Sendable, Codable, CustomStringConvertible {
    /// 1, 2, 3... in the window's order.
    case rowNumber
    /// 1 + the rows before with a different order value (ties share a rank, gaps follow).
    case rank
    /// Like `rank` without gaps.
    case denseRank
    /// The value `offset` rows before (lag) or after (lead) in the partition; null past its ends.
    case lag(Expr, offset: Int)
    case lead(Expr, offset: Int)
    /// The sum of the values from the partition's first row to this one.
    case cumulativeSum(Expr)

    public var description: String {
        switch self {
        case .rowNumber: "row_number()"
        case .rank: "rank()"
        case .denseRank: "dense_rank()"
        case .lag(let expr, let offset): "lag(\(expr), \(offset))"
        case .lead(let expr, let offset): "lead(\(expr), \(offset))"
        case .cumulativeSum(let expr): "cumsum(\(expr))"
        }
    }

    /// This function over `window`.
    public func over(_ window: Window) -> Expr { .window(self, window) }

    /// This function over partitions of `partitionBy` ordered by `orderBy`.
    public func over(partitionBy: [Expr] = [], orderBy: [SortKey] = []) -> Expr {
        .window(self, Window(partitionBy: partitionBy, orderBy: orderBy))
    }
}
