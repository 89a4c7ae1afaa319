extension Optimizer {
    /// `plan` with Parquet scans narrowed to the columns read above them: `needed` are the
    /// columns the consumer of `plan` reads (nil: all of them). Filters, sorts and limits
    /// pass their own columns down; projections and aggregations need only what their
    /// expressions read. Below joins and unions every column is kept (their outputs follow
    /// from both inputs' columns). Steps whose output is their input's take its narrower
    /// schema.
    static func pruneColumns(_ plan: LogicalPlan, needed: Set<String>?) -> LogicalPlan {
        func reading(_ exprs: [Expr]) -> Set<String> { exprs.reduce(into: []) { $0.formUnion($1.columnNames) } }
        switch plan.step {
        case .parquet(var scan):
            guard let needed else { return plan }
            let names = plan.schema.names
            let kept = names.filter(needed.contains)
            scan.columns = kept.isEmpty ? Array(names.prefix(1)) : kept
            return LogicalPlan(.parquet(scan), inputs: [], schema: scan.schema)
        case .filter(let predicate):
            let input = pruneColumns(plan.inputs[0], needed: needed.map { $0.union(predicate.columnNames) })
            return LogicalPlan(plan.step, inputs: [input], schema: input.schema)
        case .sort(let keys):
            let input = pruneColumns(plan.inputs[0], needed: needed.map { $0.union(reading(keys.map(\.expr))) })
            return LogicalPlan(plan.step, inputs: [input], schema: input.schema)
        case .limit:
            let input = pruneColumns(plan.inputs[0], needed: needed)
            return LogicalPlan(plan.step, inputs: [input], schema: input.schema)
        case .project(let exprs):
            return LogicalPlan(
                plan.step, inputs: [pruneColumns(plan.inputs[0], needed: reading(exprs))], schema: plan.schema)
        case .aggregate(let keys, let aggregates):
            return LogicalPlan(
                plan.step, inputs: [pruneColumns(plan.inputs[0], needed: reading(keys + aggregates))],
                schema: plan.schema)
        case .join, .union:
            return LogicalPlan(
                plan.step, inputs: plan.inputs.map { pruneColumns($0, needed: nil) }, schema: plan.schema)
        case .scan, .partitions:
            return plan
        }
    }
}
