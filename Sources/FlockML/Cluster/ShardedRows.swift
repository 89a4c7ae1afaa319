import FlockData
import FlockRuntime

/// A training set on a cluster: the frame's columns persisted in the object store and cut
/// into block-aligned shards (`RowShard`). `reduce` computes a statistic's blocks in the
/// workers, one task per shard, and merges them here in `BlockReduction`'s tree, so a
/// cluster fit gives the same bits as the in-process fit of the same rows, on any number
/// of workers and partitions. A task whose worker dies runs again (the runtime's retries):
/// a lost worker costs its shard's task, not the fit.
struct ShardedRows {
    let cluster: Cluster
    let shards: [RowShard]
    let count: Int
    /// Feature columns per row.
    let width: Int

    /// The rows of `frame` for fitting `estimator` on `cluster`: the frame itself when it
    /// is a persisted table, else its columns persisted in `partitions` pieces (default
    /// twice the workers).
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite values
    ///   or no rows; the runtime's errors.
    init(
        _ frame: DataFrame, featureColumns: [String], labelColumn: String?, estimator: String, on cluster: Cluster,
        partitions: Int?
    ) async throws {
        let columns = featureColumns + (labelColumn.map { [$0] } ?? [])
        let table: PartitionedTable
        do {
            if let persisted = frame.persistedTable {
                table = persisted
            } else {
                var unique: [String] = []
                for name in columns where !unique.contains(name) { unique.append(name) }
                let selected = try frame.select(unique.map { col($0) })
                // Invariant: a persisted frame reads a persisted table.
                table = try await selected.persist(on: cluster, partitions: partitions, name: estimator).persistedTable!
            }
        } catch let error as DataError {
            throw MLError.invalidData("\(error)")
        }
        let counts = try await cluster.get(
            try table.objects.map { try cluster.submit(PartitionRowsTask(object: $0, columns: columns)) })
        self.cluster = cluster
        width = featureColumns.count
        count = counts.reduce(0, +)
        guard count > 0 else { throw MLError.invalidData("no rows to fit a \(estimator) on") }
        shards = RowShard.cut(table.objects, counts: counts, featureColumns: featureColumns, labelColumn: labelColumn)
    }

    private init(cluster: Cluster, shards: [RowShard], count: Int, width: Int) {
        (self.cluster, self.shards, self.count, self.width) = (cluster, shards, count, width)
    }

    /// The same rows in at most `groups` shards (`RowShard.grouped`).
    func grouped(into groups: Int) -> ShardedRows {
        ShardedRows(cluster: cluster, shards: RowShard.grouped(shards, into: groups), count: count, width: width)
    }

    /// The statistic of every row, computed by the workers and merged here.
    /// - Throws: the tasks' errors (after their retries), e.g. `MLError.invalidData`.
    func reduce<Statistic: BlockStatistic>(_ statistic: Statistic) async throws -> Statistic.Partial {
        let refs = try shards.map { try cluster.submit(ShardStatisticTask(shard: $0, statistic: statistic)) }
        // The shape every block's statistic has: that of no rows.
        let none = TrainingRows(features: FeatureMatrix(rows: 0, width: width, values: []), labels: [], firstRow: 0)
        let partials = try FlatList.decode(
            Statistic.Partial.self, joining: try await cluster.get(refs), shape: statistic.block(none, 0..<0).shape)
        return BlockReduction.combine(partials, Statistic.merged)
    }
}
