/// A lazy table: a checked plan of steps over in-memory batches that runs, on all cores,
/// only when its rows are asked for (`collect()`, `show()`). Each method returns a new
/// frame and checks its expressions against the schema at once, so a wrong column name
/// or type fails where it was written, not when the query runs.
public struct DataFrame: Sendable {
    /// The steps that make this frame's rows.
    public let plan: LogicalPlan

    /// The frame of a plan (already checked).
    init(plan: LogicalPlan) { self.plan = plan }

    /// A frame of `batch`'s rows, split into morsels of `morselRows` rows that threads
    /// take one at a time.
    public init(_ batch: RecordBatch, name: String = "table", morselRows: Int = 1 << 18) {
        // Invariant: slices of one batch share its schema.
        try! self.init(batches: Self.morsels(of: batch, rows: morselRows), name: name)
    }

    /// `batch` cut into slices of at most `rows` rows (no copy).
    static func morsels(of batch: RecordBatch, rows: Int = 1 << 18) -> [RecordBatch] {
        let size = Swift.max(1, rows)
        guard batch.rowCount > size else { return [batch] }
        return stride(from: 0, to: batch.rowCount, by: size).map {
            batch.slice($0..<Swift.min($0 + size, batch.rowCount))
        }
    }

    /// A frame of the rows of `batches`, each a morsel.
    /// - Throws: `DataError.malformedBatch` when the batches' names or types differ, or
    ///   there are none.
    public init(batches: [RecordBatch], name: String = "table") throws {
        guard let first = batches.first else { throw DataError.malformedBatch("a frame needs at least one batch") }
        let schema = Schema(of: first)
        for batch in batches where Schema(of: batch) != schema {
            throw DataError.malformedBatch(
                "batches of one frame must share columns: [\(schema)] vs [\(Schema(of: batch))]")
        }
        plan = LogicalPlan(.scan(name: name, batches: batches), inputs: [], schema: schema)
    }

    /// The names and types of the frame's columns.
    public var schema: Schema { plan.schema }

    /// Columns computed by `exprs` (window functions allowed). Aggregates without keys
    /// make one row for the whole frame: `select(col("v1").sum(), count())`.
    /// - Throws: `DataError.unknownColumn`, `.invalidOperation` or `.invalidPlan`.
    public func select(_ exprs: [Expr]) throws -> DataFrame {
        if exprs.contains(where: \.containsAggregate) { return try groupBy([]).agg(exprs) }
        let fields = try exprs.map { Schema.Field(name: $0.name, type: try $0.type(in: schema)) }
        let output = Schema(fields)
        try output.checkUnique(in: "select")
        return DataFrame(plan: LogicalPlan(.project(exprs), inputs: [plan], schema: output))
    }

    /// Columns computed by `exprs`.
    public func select(_ exprs: Expr...) throws -> DataFrame { try select(exprs) }

    /// The frame with column `name` added (or replaced) by `expr`.
    public func withColumn(_ name: String, _ expr: Expr) throws -> DataFrame {
        var exprs = schema.names.map { $0 == name ? expr.alias(name) : col($0) }
        if !schema.names.contains(name) { exprs.append(expr.alias(name)) }
        return try select(exprs)
    }

    /// The rows where `predicate` (a bool expression) is true; null counts as false.
    /// - Throws: `DataError.invalidOperation` when it is not a bool, or holds an aggregate.
    public func filter(_ predicate: Expr) throws -> DataFrame {
        let type = try predicate.type(in: schema)
        guard type == .bool else {
            throw DataError.invalidOperation("a filter needs a bool expression; \(predicate) is \(type)")
        }
        guard !predicate.containsAggregateOrWindow else {
            throw DataError.invalidPlan("\(predicate): filter on aggregates after agg, or on windows after select")
        }
        return DataFrame(plan: LogicalPlan(.filter(predicate), inputs: [plan], schema: schema))
    }

    /// Groups by `keys`, to be aggregated with `agg`.
    public func groupBy(_ keys: [Expr]) -> GroupedDataFrame { GroupedDataFrame(frame: self, keys: keys) }

    /// Groups by `keys`, to be aggregated with `agg`.
    public func groupBy(_ keys: Expr...) -> GroupedDataFrame { groupBy(keys) }

    /// Rows ordered by `keys` (stable).
    public func sort(_ keys: [SortKey]) throws -> DataFrame {
        for key in keys {
            _ = try key.expr.type(in: schema)
            guard !key.expr.containsAggregateOrWindow else {
                throw DataError.invalidPlan("sort by \(key.expr): compute aggregates or windows first")
            }
        }
        return DataFrame(plan: LogicalPlan(.sort(keys), inputs: [plan], schema: schema))
    }

    /// Rows ordered by `keys` (stable).
    public func sort(_ keys: SortKey...) throws -> DataFrame { try sort(keys) }

    /// The first `count` rows.
    /// - Throws: `DataError.invalidPlan` for a negative count.
    public func limit(_ count: Int) throws -> DataFrame {
        guard count >= 0 else { throw DataError.invalidPlan("limit \(count) is negative") }
        return DataFrame(plan: LogicalPlan(.limit(count), inputs: [plan], schema: schema))
    }

    /// One row per distinct row.
    public func distinct() throws -> DataFrame { try groupBy(schema.names.map(col)).agg([]) }

    /// This frame's rows, then `other`'s.
    /// - Throws: `DataError.malformedBatch` unless both have the same names and types.
    public func union(_ other: DataFrame) throws -> DataFrame {
        guard other.schema == schema else {
            throw DataError.malformedBatch("union needs the same columns: [\(schema)] vs [\(other.schema)]")
        }
        return DataFrame(plan: LogicalPlan(.union, inputs: [plan, other.plan], schema: schema))
    }

    /// Runs the plan and returns its rows as one batch. Blocking steps spill to disk past
    /// `FLOCK_MEMORY_LIMIT` (`SpillPolicy.fromEnvironment()`).
    /// - Throws: `DataError.spillFailed` for a limit that is not a size or a failed spill.
    public func collect() throws -> RecordBatch { try collect(spill: try SpillPolicy.fromEnvironment()) }

    /// Runs the plan and returns its rows in the batches the executor made them in (its
    /// morsels): no copy into one batch, for results that are large.
    public func collectBatches() throws -> [RecordBatch] {
        try Executor(spill: try SpillPolicy.fromEnvironment()).run(Optimizer.optimize(plan)).batches
    }

    /// Runs the plan with blocking steps (aggregation, join, sort) spilling to disk as
    /// `spill` says (its statistics count what was written).
    public func collect(spill: SpillPolicy) throws -> RecordBatch {
        let morsels = try Executor(spill: spill).run(Optimizer.optimize(plan))
        return try RecordBatch.concatenate(morsels.batches, schema: schema)
    }

    /// The first `limit` rows as a text table.
    public func show(limit: Int = 20) throws -> String { try self.limit(limit + 1).collect().show(limit: limit) }

    /// The logical plan as written, as optimized, then the physical operators that will run it.
    public func explain() -> String {
        let optimized = Optimizer.optimize(plan)
        return "== Logical plan ==\n\(plan)\n== Optimized plan ==\n\(optimized)\n== Physical plan ==\n"
            + Executor.physicalPlan(optimized)
    }
}
