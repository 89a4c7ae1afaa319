import FlockRuntime

/// A table whose partitions are encoded batches in a cluster's object store (made by
/// `DataFrame.persist(on:)`): the scan of a distributed query. The driver's refs keep the
/// objects alive; dropping the last frame that holds them frees them.
public struct PartitionedTable: Sendable {
    /// One encoded batch (`BatchCoding`) per partition.
    let partitions: [ObjectRef<[UInt8]>]
    /// The rows in all partitions, when known without reading them (at most this many
    /// after a filter).
    public let rowCount: Int?
    /// How many partitions there are.
    public var partitionCount: Int { partitions.count }
}

extension PartitionedTable {
    /// The partitions' objects, in order (for libraries that run their own tasks on them).
    package var objects: [ObjectRef<[UInt8]>] { partitions }

    /// Columns `columns` of the persisted partition `object`, in a worker: decoded once and
    /// kept for the next task that reads them (`PersistedColumns`).
    /// - Throws: `BatchCoding`'s errors for bytes that are not a batch, or a missing column.
    package static func read(_ object: ObjectRef<[UInt8]>, columns: [String]) async throws -> RecordBatch {
        let input = DataStageTask.Input(objects: [object], piece: nil, columns: columns, scan: nil, persisted: true)
        let batches = try await input.read(categories: CategoryInterner())
        // Invariant: one object gives one batch.
        return try RecordBatch(names: columns, columns: columns.map { try batches[0].column($0) })
    }
}

extension DataFrame {
    /// The table this frame reads when it is exactly a persisted table (`persist(on:)`).
    package var persistedTable: PartitionedTable? {
        guard case .partitions(_, let table) = plan.step else { return nil }
        return table
    }
}
