/// A query as a tree of relational steps, each with the schema of the rows it makes. Built
/// (and checked) by `DataFrame`'s methods, printed by `explain()`, run by `Executor`.
public struct LogicalPlan: Sendable, CustomStringConvertible {
    /// One step of a plan.
    public enum Step: Sendable {
        /// Batches already in memory, under a name for `explain()`.
        case scan(name: String, batches: [RecordBatch])
        /// Parquet files read when the plan runs (only the columns it reads, skipping row
        /// groups by statistics).
        case parquet(ParquetScan)
        /// Partitions in a cluster's object store, under a name for `explain()`.
        case partitions(name: String, table: PartitionedTable)
        /// Computed columns (window functions allowed), in order.
        case project([Expr])
        /// The rows where the predicate is true.
        case filter(Expr)
        /// One row per distinct value of the keys, with aggregate expressions over its rows
        /// (no keys: one row for the whole input).
        case aggregate(keys: [Expr], aggregates: [Expr])
        /// Rows ordered by the keys (stable: ties keep their input order).
        case sort([SortKey])
        /// The first rows.
        case limit(Int)
        /// Rows of two inputs matched on equal key columns.
        case join(JoinKind, leftKeys: [String], rightKeys: [String])
        /// The rows of both inputs, the second's after the first's.
        case union
    }

    /// What this step does.
    public let step: Step
    /// The steps whose rows it reads (none for a scan, two for a join or union).
    public let inputs: [LogicalPlan]
    /// The columns it makes.
    public let schema: Schema

    init(_ step: Step, inputs: [LogicalPlan], schema: Schema) {
        self.step = step
        self.inputs = inputs
        self.schema = schema
    }

    /// The plan as an indented tree, one step per line with its output columns.
    public var description: String { lines(depth: 0).joined(separator: "\n") }

    private func lines(depth: Int) -> [String] {
        let indent = String(repeating: "  ", count: depth)
        let text: String
        switch step {
        case .scan(let name, let batches):
            text = "Scan \(name) (\(batches.reduce(0) { $0 + $1.rowCount }) rows in \(batches.count) batches)"
        case .parquet(let scan): text = scan.description
        case .partitions(let name, let table):
            text =
                "Scan \(name) (\(table.rowCount.map(String.init) ?? "?") rows in \(table.partitionCount) cluster partitions)"
        case .project(let exprs): text = "Project " + exprs.map(\.description).joined(separator: ", ")
        case .filter(let predicate): text = "Filter \(predicate)"
        case .aggregate(let keys, let aggregates):
            text =
                "Aggregate keys: [\(keys.map(\.description).joined(separator: ", "))] "
                + "values: [\(aggregates.map(\.description).joined(separator: ", "))]"
        case .sort(let keys): text = "Sort " + keys.map(\.description).joined(separator: ", ")
        case .limit(let count): text = "Limit \(count)"
        case .join(let kind, let left, let right):
            text = "Join \(kind) on " + zip(left, right).map { "\($0) = \($1)" }.joined(separator: " AND ")
        case .union: text = "Union"
        }
        return ["\(indent)\(text)  -> [\(schema)]"] + inputs.flatMap { $0.lines(depth: depth + 1) }
    }
}

/// Which rows a join keeps.
public enum JoinKind: String, Sendable, Codable {
    /// Pairs of rows whose keys are equal.
    case inner
    /// Every left row, with nulls where no right row matches (and likewise for `right`).
    case left, right
    /// Every row of both sides, matched where they can be.
    case full
    /// Left rows that have a match (their columns only, each once).
    case semi
    /// Left rows that have no match.
    case anti
}
