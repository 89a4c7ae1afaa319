extension Optimizer {
    /// `exprs` (a projection's) with each `row_number()` window whose output a conjunct of
    /// `predicates` caps (`rn <= k`, `rn < k`, `rn = k`, either way round) marked to number
    /// only its partitions' first k rows (`Window.topRows`; Spark's window group limit).
    /// The predicates stay above: rows past the limit read null there and are dropped.
    static func limitingWindows(_ exprs: [Expr], by predicates: [Expr]) -> [Expr] {
        exprs.map { expr in
            guard case .alias(.window(.rowNumber, var window), let name) = expr else { return expr }
            let caps = predicates.compactMap { rowLimit($0, on: name) }
            guard let cap = caps.min() else { return expr }
            window.topRows = min(window.topRows ?? cap, cap)
            return .alias(.window(.rowNumber, window), name)
        }
    }

    /// The most rows per partition `predicate` lets through when it bounds column `name`
    /// from above by a number; nil when it does not.
    static func rowLimit(_ predicate: Expr, on name: String) -> Int? {
        guard case .binary(let op, let lhs, let rhs) = predicate else { return nil }
        let (operation, bound): (BinaryOperator, Value?)
        switch (lhs, rhs) {
        case (.column(name), .literal(let value, _)): (operation, bound) = (op, value)
        case (.literal(let value, _), .column(name)):
            // k >= rn is rn <= k, and so on.
            let mirrored: [BinaryOperator: BinaryOperator] = [
                .greaterOrEqual: .lessOrEqual, .greater: .less, .equal: .equal,
            ]
            guard let flipped = mirrored[op] else { return nil }
            (operation, bound) = (flipped, value)
        default: return nil
        }
        let limit: Double
        switch bound {
        case .int(let k)?: limit = Double(k)
        case .double(let k)? where k.isFinite: limit = k
        default: return nil
        }
        let rows: Double
        switch operation {
        case .lessOrEqual, .equal: rows = limit.rounded(.down)
        case .less: rows = limit.rounded(.up) - 1
        default: return nil
        }
        return Int(Swift.max(0, Swift.min(rows, Double(Int32.max))))
    }
}
