/// A frame grouped by key expressions, waiting for its aggregates (`agg`).
public struct GroupedDataFrame: Sendable {
    let frame: DataFrame
    let keys: [Expr]

    /// One row per distinct key, with the keys and `aggregates` (expressions over
    /// aggregates of the group's rows: `col("v1").sum()`, `col("v1").max() - col("v2").min()`).
    /// - Throws: `DataError.invalidPlan` for an expression that reads a column outside
    ///   an aggregate that is not a key, or the checks of `Expr.type(in:)`.
    public func agg(_ aggregates: [Expr]) throws -> DataFrame {
        let schema = frame.schema
        var fields: [Schema.Field] = []
        for key in keys {
            guard !key.containsAggregateOrWindow else {
                throw DataError.invalidPlan("group key \(key) holds an aggregate or window")
            }
            fields.append(Schema.Field(name: key.name, type: try key.type(in: schema)))
        }
        let keyNames = Set(keys.map(\.name))
        for aggregate in aggregates {
            guard !aggregate.containsWindow else {
                throw DataError.invalidPlan("\(aggregate): window functions go in select, not agg")
            }
            let outside = aggregate.columnsOutsideAggregates.subtracting(keyNames)
            if let name = outside.sorted().first {
                throw DataError.invalidPlan(
                    "\(aggregate) reads column \"\(name)\" outside an aggregate; group by it or aggregate it")
            }
            fields.append(Schema.Field(name: aggregate.name, type: try aggregate.type(in: schema)))
        }
        let output = Schema(fields)
        try output.checkUnique(in: "agg")
        return DataFrame(
            plan: LogicalPlan(.aggregate(keys: keys, aggregates: aggregates), inputs: [frame.plan], schema: output))
    }

    /// One row per distinct key with `aggregates`.
    public func agg(_ aggregates: Expr...) throws -> DataFrame { try agg(aggregates) }
}

extension Expr {
    /// The columns it reads outside any aggregate.
    var columnsOutsideAggregates: Set<String> {
        switch self {
        case .column(let name): [name]
        case .literal, .aggregate: []
        case .window: columnNames
        case .alias(let operand, _), .cast(let operand, _), .unary(_, let operand): operand.columnsOutsideAggregates
        case .binary(_, let lhs, let rhs): lhs.columnsOutsideAggregates.union(rhs.columnsOutsideAggregates)
        }
    }
}
