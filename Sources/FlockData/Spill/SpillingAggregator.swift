/// Aggregation too large for the memory limit: the columns it reads are split by key into
/// partitions on disk (`SpilledPartitions`), then each partition is aggregated alone by
/// `Aggregator` and its groups appended. Groups come out partition by partition, so in
/// another order than in memory; each group's values are folded in input order, so every
/// value is bit for bit what the in-memory run makes.
enum SpillingAggregator {
    static func run(
        keys: [Expr], aggregates: [Expr], input: Morsels, schema: Schema, partitions: Int, policy: SpillPolicy
    ) throws -> Morsels {
        let inputSchema = input.batches.first.map { Schema(of: $0) } ?? Schema([])
        let shuffle = ShuffleKeys(keys)
        let projection = shuffle.mapProjection(input: inputSchema, reading: aggregates)
        func project(_ batch: RecordBatch) throws -> RecordBatch {
            try RecordBatch(
                names: projection.map(\.name), columns: projection.map { try Evaluator.evaluate($0, batch) })
        }
        let spilledSchema = Schema(of: try project(try RecordBatch.empty(inputSchema)))
        let spilled = try SpilledPartitions(count: partitions, keys: shuffle.names, policy: policy)
        try spilled.add(input.batches.count) { try project(input.batches[$0]) }
        var output: [RecordBatch] = []
        for partition in 0..<spilled.count {
            let rows = try spilled.morsels(partition, schema: spilledSchema)
            guard rows.rowCount > 0 else { continue }
            output += try Aggregator.run(
                keys: shuffle.reduceKeys, aggregates: aggregates, input: rows, schema: schema
            ).batches
        }
        return Morsels(output.isEmpty ? [try RecordBatch.empty(schema)] : output)
    }
}
