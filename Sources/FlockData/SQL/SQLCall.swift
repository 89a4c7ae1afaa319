/// A function call as written in SQL (`sum(v1)`, `count(DISTINCT id)`, `lag(v, 2) OVER
/// (...)`), turned into FlockData's aggregate or window expression.
struct SQLCall {
    var name: String
    var offset: Int
    var arguments: [Expr] = []
    var star = false
    var distinct = false
    var window: Window?

    /// The aggregates by their SQL names (several spellings as DuckDB and Spark accept).
    private static let aggregates: [String: AggregateFunction] = [
        "count": .count, "sum": .sum, "avg": .mean, "mean": .mean, "min": .min, "max": .max, "median": .median,
        "var": .variance, "var_samp": .variance, "variance": .variance, "stddev": .standardDeviation,
        "stddev_samp": .standardDeviation, "std": .standardDeviation, "first": .first, "last": .last,
        "corr": .correlation,
    ]
    private static let windowOnly: Set<String> = ["row_number", "rank", "dense_rank", "lag", "lead"]

    /// The expression of the call.
    /// - Throws: `DataError.invalidSQL` at the function's name for an unknown function, a
    ///   wrong number or kind of arguments, or a window function without OVER.
    func expr(in query: String) throws -> Expr {
        func fail(_ message: String) -> DataError { DataError.invalidSQL(query: query, offset: offset, message) }
        if let window {
            return try windowExpr(window, fail: fail)
        }
        if Self.windowOnly.contains(name) { throw fail("\(name)() is a window function: add OVER (...)") }
        if star {
            guard name == "count" else { throw fail("only count takes *") }
            return count()
        }
        if name == "quantile" || name == "quantile_cont" {
            guard arguments.count == 2, let q = Self.number(arguments[1]), (0...1).contains(q) else {
                throw fail("\(name) takes a column and a fraction between 0 and 1: \(name)(v, 0.9)")
            }
            return .aggregate(.quantile(q), [arguments[0]])
        }
        guard let function = Self.aggregates[name] else {
            let known = (Array(Self.aggregates.keys) + Array(Self.windowOnly) + ["quantile", "cast"]).sorted()
            let near = DataError.nearest(to: name, in: known).map { " (did you mean \($0)?)" } ?? ""
            throw fail("unknown function \(name)\(near); the functions are \(known.joined(separator: ", "))")
        }
        if distinct {
            guard function == .count else { throw fail("DISTINCT is supported in count only") }
            return .aggregate(.countDistinct, arguments)
        }
        guard arguments.count == function.arity else {
            throw fail(
                "\(name) takes \(function.arity) argument\(function.arity == 1 ? "" : "s"), not \(arguments.count)")
        }
        return .aggregate(function, arguments)
    }

    private func windowExpr(_ window: Window, fail: (String) -> DataError) throws -> Expr {
        switch name {
        case "row_number", "rank", "dense_rank":
            guard arguments.isEmpty, !star else { throw fail("\(name)() takes no arguments") }
            let function: WindowFunction = name == "row_number" ? .rowNumber : name == "rank" ? .rank : .denseRank
            return function.over(window)
        case "lag", "lead":
            guard (1...2).contains(arguments.count) else { throw fail("\(name) takes a value and an optional offset") }
            var offset = 1
            if arguments.count == 2 {
                guard case .literal(.int(let value)?, _) = arguments[1], value >= 0 else {
                    throw fail("the offset of \(name) must be a whole number >= 0")
                }
                offset = Int(value)
            }
            let function: WindowFunction =
                name == "lag" ? .lag(arguments[0], offset: offset) : .lead(arguments[0], offset: offset)
            return function.over(window)
        case "sum":
            guard arguments.count == 1, !distinct else { throw fail("sum over a window takes one value") }
            guard !window.orderBy.isEmpty else {
                throw fail("sum over a whole partition is not supported yet; with ORDER BY it is a running sum")
            }
            return WindowFunction.cumulativeSum(arguments[0]).over(window)
        default:
            throw fail(
                "\(name) cannot be used with OVER; the window functions are row_number, rank, dense_rank, lag, lead, sum"
            )
        }
    }

    private static func number(_ expr: Expr) -> Double? {
        switch expr {
        case .literal(.double(let value)?, _): value
        case .literal(.int(let value)?, _): Double(value)
        default: nil
        }
    }
}
