/// Rewriting expressions: the SQL planner resolves qualified names and replaces aggregates
/// and group keys by the columns an aggregation makes.
extension Expr {
    /// The expression with every subexpression for which `replacement` returns a value
    /// replaced by it; the walk goes top down and does not enter replaced parts. It enters
    /// window functions' arguments, partitions and orders.
    func rewritten(_ replacement: (Expr) throws -> Expr?) rethrows -> Expr {
        if let replaced = try replacement(self) { return replaced }
        switch self {
        case .column, .literal: return self
        case .binary(let op, let lhs, let rhs):
            return .binary(op, try lhs.rewritten(replacement), try rhs.rewritten(replacement))
        case .unary(let op, let operand): return .unary(op, try operand.rewritten(replacement))
        case .cast(let operand, let type): return .cast(try operand.rewritten(replacement), type)
        case .alias(let operand, let name): return .alias(try operand.rewritten(replacement), name)
        case .aggregate(let function, let arguments):
            return .aggregate(function, try arguments.map { try $0.rewritten(replacement) })
        case .window(let function, let window):
            let function: WindowFunction =
                switch function {
                case .rowNumber, .rank, .denseRank: function
                case .lag(let expr, let offset): .lag(try expr.rewritten(replacement), offset: offset)
                case .lead(let expr, let offset): .lead(try expr.rewritten(replacement), offset: offset)
                case .cumulativeSum(let expr): .cumulativeSum(try expr.rewritten(replacement))
                }
            let partitions = try window.partitionBy.map { try $0.rewritten(replacement) }
            let order = try window.orderBy.map {
                SortKey(try $0.expr.rewritten(replacement), descending: $0.descending, nullsFirst: $0.nullsFirst)
            }
            var rewritten = Window(partitionBy: partitions, orderBy: order)
            rewritten.topRows = window.topRows
            return .window(function, rewritten)
        }
    }

    /// Every subexpression (itself first), window parts included.
    var subexpressions: [Expr] {
        var found: [Expr] = []
        _ = rewritten { expr in
            found.append(expr)
            return nil
        }
        return found
    }
}
