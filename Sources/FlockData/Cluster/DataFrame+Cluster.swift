import FlockRuntime
import Foundation

extension DataFrame {
    /// Runs the plan on `cluster` and returns its rows here: scans are cut into
    /// partitions in the object store, aggregations and joins shuffle through it, and what
    /// needs every row in one place (sort, windows, limit) runs here on the gathered rows.
    /// The workers must have registered `DataTasks.all`. Rows come in no set order unless
    /// the plan sorts them.
    ///
    /// A join whose right side holds at most `FLOCK_BROADCAST_ROWS` rows (default 1,048,576;
    /// Spark's broadcast threshold) sends that side whole to every partition of the left
    /// instead of shuffling both; where its size is unknown until it runs, it runs first and
    /// is counted. `decisions`, when given, records each such choice.
    /// - Parameter partitions: pieces per scan and per shuffle (default: twice the workers).
    /// - Throws: `RuntimeError` when tasks fail (after their retries), the checks of
    ///   the plan's steps, or `DataError.invalidOperation` for a bad `FLOCK_BROADCAST_ROWS`.
    public func collect(on cluster: Cluster, partitions: Int? = nil, decisions: AdaptiveDecisions? = nil)
        async throws -> RecordBatch
    {
        var executor = try await Self.executor(cluster, partitions)
        executor.decisions = decisions
        return try await executor.collect(Optimizer.optimize(plan))
    }

    /// The frame's rows computed once on `cluster` and kept there, in partitions of the
    /// object store: later queries on the returned frame (with `collect(on:)`) start from
    /// them instead of from this plan's sources (Spark's `persist`, Dask's `persist`).
    public func persist(on cluster: Cluster, partitions: Int? = nil, name: String = "persisted") async throws
        -> DataFrame
    {
        let executor = try await Self.executor(cluster, partitions)
        let table: PartitionedTable
        switch try await executor.rows(of: Optimizer.optimize(plan)) {
        case .local(let frame):
            let batch = try frame.collect()
            table = PartitionedTable(partitions: [try cluster.put(BatchCoding.encode(batch))], rowCount: batch.rowCount)
        case .distributed(let parts, let bound):
            let objects = try executor.submit(parts, output: .batch)
            _ = try await cluster.wait(for: objects, count: objects.count)
            table = PartitionedTable(partitions: objects, rowCount: bound)
        }
        return DataFrame(plan: LogicalPlan(.partitions(name: name, table: table), inputs: [], schema: schema))
    }

    private static func executor(_ cluster: Cluster, _ partitions: Int?) async throws -> ClusterExecutor {
        var pieces = partitions ?? 0
        if pieces < 1 { pieces = max(1, 2 * (try await cluster.statistics().workers)) }
        return ClusterExecutor(
            cluster: cluster, reducers: pieces, scanPartitions: pieces, broadcastRows: try broadcastRows())
    }

    /// `FLOCK_BROADCAST_ROWS`, or 1,048,576 when unset.
    private static func broadcastRows() throws -> Int {
        guard let text = ProcessInfo.processInfo.environment["FLOCK_BROADCAST_ROWS"] else { return 1 << 20 }
        guard let rows = Int(text), rows >= 0 else {
            throw DataError.invalidOperation("FLOCK_BROADCAST_ROWS is \"\(text)\", not a row count (0 or more)")
        }
        return rows
    }
}
