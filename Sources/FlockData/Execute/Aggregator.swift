/// Runs an aggregation step: key expressions evaluated per morsel, dense group ids
/// (`GroupIndex`), every distinct aggregate computed once by group (`GroupAggregates`),
/// then output morsels made in parallel, each with its groups' keys and the output
/// expressions evaluated over the keys and aggregate results (so `max(v1) - min(v2)` is
/// two aggregates and one subtraction).
enum Aggregator {
    static func run(keys: [Expr], aggregates: [Expr], input: Morsels, schema: Schema) throws -> Morsels {
        let keyColumns = try keys.map { key in try input.parallelMap { try Evaluator.evaluate(key, input.batches[$0]) }
        }
        let index = GroupIndex(keys: keyColumns, morsels: input)
        var groups = index.groupCount
        if keys.isEmpty && groups == 0 { groups = 1 }  // A global aggregate of no rows is one row.
        let inputSchema = input.batches.first.map { Schema(of: $0) } ?? Schema([])
        // Each distinct aggregate once, named __a0, __a1, ...
        var found: [(String, AggregateFunction, [Expr])] = []
        let rewritten = aggregates.map {
            $0.replacingAggregates { function, arguments in
                let key = Expr.aggregate(function, arguments).description
                if let at = found.firstIndex(where: { $0.0 == key }) { return col("__a\(at)") }
                found.append((key, function, arguments))
                return col("__a\(found.count - 1)")
            }
        }
        var names = keys.map(\.name)
        var columns: [Column] = []
        // The moments of each argument pair, once for all the fields read of them.
        var moments: [String: [Double]] = [:]
        for (j, (_, function, arguments)) in found.enumerated() {
            let argumentColumns = try arguments.map { argument in
                try input.parallelMap { try Evaluator.evaluate(argument, input.batches[$0]) }
            }
            let type = try Expr.aggregate(function, arguments).type(in: inputSchema)
            let index = keys.isEmpty && index.groupCount == 0 ? GroupIndex.single(rowCount: 0) : index
            names.append("__a\(j)")
            if case .moment(let field) = function {
                let pair = arguments.description
                let state =
                    moments[pair] ?? GroupMoments.accumulate(argumentColumns[0], argumentColumns[1], index, input)
                moments[pair] = state
                columns.append(GroupMoments.field(field, of: state))
                continue
            }
            columns.append(GroupAggregates.compute(function, argumentColumns, type: type, index: index, morsels: input))
        }
        // Output morsels made in parallel, each gathering its groups' keys from the input
        // (one copy) beside its slice of the aggregates, then the output expressions.
        let firstRows = keys.isEmpty && index.groupCount == 0 ? [-1] : index.firstRows
        return Morsels(
            try Parallel.map(Swift.max(1, (groups + Executor.morselRows - 1) / Executor.morselRows)) { m in
                let rows = m * Executor.morselRows..<Swift.min(groups, (m + 1) * Executor.morselRows)
                let keyOutputs = keyColumns.map { GroupAggregates.gatherRows($0, firstRows[rows], input) }
                let aggregates = groups <= Executor.morselRows ? columns : columns.map { $0.slice(rows) }
                let batch = try RecordBatch(names: names, columns: keyOutputs + aggregates)
                let values = try rewritten.map { try Evaluator.evaluate($0, batch) }
                return try RecordBatch(names: schema.names, columns: keyOutputs + values)
            })
    }
}

extension GroupIndex {
    /// One group holding `rowCount` rows (a global aggregate; one group even of no rows).
    static func single(rowCount: Int) -> GroupIndex {
        GroupIndex(groupCount: 1, ids: [Int32](repeating: 0, count: rowCount), firstRows: [rowCount > 0 ? 0 : -1])
    }
}

extension Expr {
    /// The expression with every aggregate replaced by what `replace` makes of it.
    func replacingAggregates(_ replace: (AggregateFunction, [Expr]) -> Expr) -> Expr {
        switch self {
        case .aggregate(let function, let arguments): replace(function, arguments)
        case .column, .literal, .window: self
        case .alias(let operand, let name): .alias(operand.replacingAggregates(replace), name)
        case .cast(let operand, let type): .cast(operand.replacingAggregates(replace), type)
        case .unary(let op, let operand): .unary(op, operand.replacingAggregates(replace))
        case .binary(let op, let lhs, let rhs):
            .binary(op, lhs.replacingAggregates(replace), rhs.replacingAggregates(replace))
        }
    }
}
