/// The part of a plan that one task runs over its inputs' batches: the steps of a
/// `LogicalPlan` with its scans replaced by numbered inputs, so that it can travel to a
/// worker (it is `Codable`) and be rebuilt there through the same checked `DataFrame`
/// methods that built it on the driver.
indirect enum PlanFragment: Codable, Sendable {
    /// The batches of the task's input `index`.
    case input(Int)
    /// The rows where the predicate is true.
    case filter(PlanFragment, Expr)
    /// Computed columns.
    case project(PlanFragment, [Expr])
    /// One row per key with the aggregates.
    case aggregate(PlanFragment, keys: [Expr], aggregates: [Expr])
    /// The map side of a two-step aggregation: the rows aggregated by key into `partials`
    /// where that shrinks them (`PartialAggregation.shrinks`), else each row as its own
    /// partial (`rowWise`, same columns).
    case partialAggregate(PlanFragment, keys: [Expr], partials: [Expr], rowWise: [Expr])
    /// Rows ordered by the keys.
    case sort(PlanFragment, [SortKey])
    /// The first rows.
    case limit(PlanFragment, Int)
    /// Two fragments' rows matched on key columns.
    case join(PlanFragment, PlanFragment, JoinKind, leftKeys: [String], rightKeys: [String])

    /// The frame this fragment makes from `inputs` (the batches of each input, in order).
    /// - Throws: `DataError.malformedBatch` for an input without batches, or the checks
    ///   of the `DataFrame` methods.
    func frame(_ inputs: [[RecordBatch]]) throws -> DataFrame {
        switch self {
        case .input(let index):
            guard inputs.indices.contains(index) else {
                throw DataError.malformedBatch("a plan fragment reads input \(index) of \(inputs.count)")
            }
            return try DataFrame(batches: inputs[index], name: "input \(index)")
        case .filter(let input, let predicate): return try input.frame(inputs).filter(predicate)
        case .project(let input, let exprs): return try input.frame(inputs).select(exprs)
        case .aggregate(let input, let keys, let aggregates):
            return try input.frame(inputs).groupBy(keys).agg(aggregates)
        case .partialAggregate(let input, let keys, let partials, let rowWise):
            let batches = try input.frame(inputs).collectBatches()
            let rows = try DataFrame(batches: batches, name: "map input")
            guard try PartialAggregation.shrinks(Morsels(batches), keys: keys) else {
                return try rows.select(keys + rowWise)
            }
            return try rows.groupBy(keys).agg(partials)
        case .sort(let input, let keys): return try input.frame(inputs).sort(keys)
        case .limit(let input, let count): return try input.frame(inputs).limit(count)
        case .join(let left, let right, let kind, let leftKeys, let rightKeys):
            return try left.frame(inputs).join(right.frame(inputs), leftOn: leftKeys, rightOn: rightKeys, how: kind)
        }
    }

    /// This fragment with its input numbers raised by `offset` (to sit beside another
    /// fragment's inputs in one task).
    func shifted(by offset: Int) -> PlanFragment {
        switch self {
        case .input(let index): .input(index + offset)
        case .filter(let input, let predicate): .filter(input.shifted(by: offset), predicate)
        case .project(let input, let exprs): .project(input.shifted(by: offset), exprs)
        case .aggregate(let input, let keys, let aggregates):
            .aggregate(input.shifted(by: offset), keys: keys, aggregates: aggregates)
        case .partialAggregate(let input, let keys, let partials, let rowWise):
            .partialAggregate(input.shifted(by: offset), keys: keys, partials: partials, rowWise: rowWise)
        case .sort(let input, let keys): .sort(input.shifted(by: offset), keys)
        case .limit(let input, let count): .limit(input.shifted(by: offset), count)
        case .join(let left, let right, let kind, let leftKeys, let rightKeys):
            .join(
                left.shifted(by: offset), right.shifted(by: offset), kind, leftKeys: leftKeys, rightKeys: rightKeys)
        }
    }
}
