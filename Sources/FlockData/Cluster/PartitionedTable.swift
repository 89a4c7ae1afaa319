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
