/// A hash join too large for the memory limit (grace hash join): both sides split by their
/// keys into the same number of partitions on disk, with the same hash (integer and float
/// key pairs hashed as floats on both sides), so matching rows share a partition; then
/// partition i of the left joins partition i of the right in memory. Every join kind holds,
/// since a row's matches are all in its partition; rows come out partition by partition.
enum SpillingJoin {
    static func run(
        _ kind: JoinKind, left: Morsels, right: Morsels, leftKeys: [String], rightKeys: [String], schema: Schema,
        partitions: Int, policy: SpillPolicy
    ) throws -> Morsels {
        let leftSchema = left.batches.first.map { Schema(of: $0) } ?? Schema([])
        let rightSchema = right.batches.first.map { Schema(of: $0) } ?? Schema([])
        let floats = ClusterExecutor.Join(
            kind: kind, leftKeys: leftKeys, rightKeys: rightKeys, left: leftSchema, right: rightSchema
        ).floatKeys
        let leftParts = try SpilledPartitions(
            count: partitions, keys: leftKeys, asFloat: Set(floats.left), policy: policy)
        try leftParts.add(left.batches.count) { left.batches[$0] }
        let rightParts = try SpilledPartitions(
            count: partitions, keys: rightKeys, asFloat: Set(floats.right), policy: policy)
        try rightParts.add(right.batches.count) { right.batches[$0] }
        var output: [RecordBatch] = []
        for partition in 0..<partitions {
            let joined = try HashJoin.run(
                kind, left: try leftParts.morsels(partition, schema: leftSchema),
                right: try rightParts.morsels(partition, schema: rightSchema), leftKeys: leftKeys,
                rightKeys: rightKeys, schema: schema)
            output += joined.batches.filter { $0.rowCount > 0 }
        }
        return Morsels(output.isEmpty ? [try RecordBatch.empty(schema)] : output)
    }
}
