import FlockNN

extension DataFrame {
    /// The frame's rows as a training set (`RecordBatch.dataset(features:label:)`); on a
    /// cluster, `collect(on:)` first and call it on the batch.
    public func dataset(features: [String], label: String) throws -> TensorDataset {
        try collect().dataset(features: features, label: label)
    }
}
