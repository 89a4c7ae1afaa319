/// Runs a logical plan in this process: each step takes its input's morsels and makes
/// new ones, vectorized (a column at a time) and parallel over morsels on Flock's thread
/// pool. Steps that need all rows (aggregation, sort, windows, joins) work on the whole
/// input through group ids and row permutations; above the spill policy's memory limit
/// they go through disk instead (`SpillingAggregator`, `SpillingJoin`, `ExternalSorter`).
struct Executor {
    /// When blocking steps spill, and where.
    var spill = SpillPolicy(memoryLimit: nil)

    /// Rows per output morsel of the steps that make new tables (aggregates, sorts, joins).
    static let morselRows = 1 << 18

    /// The rows `plan` makes.
    func run(_ plan: LogicalPlan) throws -> Morsels {
        switch plan.step {
        case .scan(_, let batches): return Morsels(batches)
        case .parquet(let scan): return Morsels(try scan.read().flatMap { DataFrame.morsels(of: $0) })
        case .partitions(let name, _):
            throw DataError.invalidPlan(
                "the table \(name) lives in a cluster's object store: run the query with collect(on: cluster)")
        case .filter(let predicate):
            let input = try run(plan.inputs[0])
            return Morsels(try input.parallelMap { m in try Self.filter(input.batches[m], predicate) })
        case .project(let exprs):
            let input = try run(plan.inputs[0])
            let (withWindows, rewritten) = try WindowComputer.appendWindows(exprs, to: input)
            return Morsels(
                try withWindows.parallelMap { m in
                    let batch = withWindows.batches[m]
                    return try RecordBatch(
                        names: plan.schema.names, columns: try rewritten.map { try Evaluator.evaluate($0, batch) })
                })
        case .aggregate(let keys, let aggregates):
            let input = try run(plan.inputs[0])
            let partitions = spill.partitions(
                forWorkingBytes: MemoryEstimates.aggregate(input, keys: keys.count, aggregates: aggregates.count))
            if partitions > 1 {
                return try SpillingAggregator.run(
                    keys: keys, aggregates: aggregates, input: input, schema: plan.schema, partitions: partitions,
                    policy: spill)
            }
            return try Aggregator.run(keys: keys, aggregates: aggregates, input: input, schema: plan.schema)
        case .sort(let keys):
            let input = try run(plan.inputs[0])
            if let limit = spill.memoryLimit, MemoryEstimates.sort(input) > limit {
                return try ExternalSorter.run(
                    keys, input: input, schema: plan.schema, runBytes: max(1, limit / 3), policy: spill)
            }
            let whole = try RecordBatch.concatenate(input.batches, schema: plan.schema)
            let order = try Sorter.permutation(of: whole, by: keys)
            return Self.split(whole.gather(order))
        case .limit(let count):
            let input = try run(plan.inputs[0])
            var batches: [RecordBatch] = []
            var left = count
            for batch in input.batches where left > 0 {
                batches.append(batch.rowCount <= left ? batch : batch.slice(0..<left))
                left -= batches[batches.count - 1].rowCount
            }
            return Morsels(batches.isEmpty ? [try RecordBatch.empty(plan.schema)] : batches)
        case .join(let kind, let leftKeys, let rightKeys):
            let (left, right) = (try run(plan.inputs[0]), try run(plan.inputs[1]))
            let partitions = spill.partitions(forWorkingBytes: MemoryEstimates.join(left: left, right: right))
            if partitions > 1 && left.rowCount > 0 && right.rowCount > 0 {
                return try SpillingJoin.run(
                    kind, left: left, right: right, leftKeys: leftKeys, rightKeys: rightKeys, schema: plan.schema,
                    partitions: partitions, policy: spill)
            }
            return try HashJoin.run(
                kind, left: left, right: right, leftKeys: leftKeys, rightKeys: rightKeys, schema: plan.schema)
        case .union:
            return Morsels(try run(plan.inputs[0]).batches + run(plan.inputs[1]).batches)
        }
    }

    /// The rows of `batch` where `predicate` is true.
    static func filter(_ batch: RecordBatch, _ predicate: Expr) throws -> RecordBatch {
        let mask = try Evaluator.evaluate(predicate, batch)
        guard mask.type == .bool else {
            throw DataError.invalidPlan("a filter's predicate made \(mask.type) values, not bool")
        }
        // Kept: true and not null, a byte of rows at a time.
        // Invariant: a bool column's values hold `count` bits.
        var kept = try! Bitmap(bytes: mask.values, count: mask.count)
        if let validity = mask.validity {
            kept.bytes.withUnsafeMutableBufferPointer { kept in
                for b in kept.indices { kept[b] &= validity.bytes[b] }
            }
        }
        if kept.setCount == batch.rowCount { return batch }
        return batch.gather(kept.setIndices())
    }

    /// `batch` cut into morsels of `morselRows` rows.
    static func split(_ batch: RecordBatch) -> Morsels {
        guard batch.rowCount > morselRows else { return Morsels([batch]) }
        return Morsels(
            stride(from: 0, to: batch.rowCount, by: morselRows).map {
                batch.slice($0..<Swift.min($0 + morselRows, batch.rowCount))
            })
    }

    /// The operators that will run `plan`, one per line, indented by depth.
    static func physicalPlan(_ plan: LogicalPlan, depth: Int = 0) -> String {
        let text: String
        switch plan.step {
        case .scan(let name, let batches): text = "MemoryScan \(name) [\(batches.count) morsels]"
        case .parquet(let scan): text = "Parquet\(scan.description)"
        case .partitions(let name, let table): text = "ClusterScan \(name) [\(table.partitionCount) partitions]"
        case .filter: text = "ParallelFilter (per morsel: predicate, then gather)"
        case .project(let exprs):
            text =
                exprs.contains(where: \.containsWindow)
                ? "WindowPartitions (group ids, per-partition sort) -> ParallelProject" : "ParallelProject"
        case .aggregate(let keys, _):
            text =
                keys.isEmpty
                ? "GlobalAggregate" : "HashAggregate (packed key codes -> dense ids; per-thread group ranges)"
        case .sort: text = "Sort (stable permutation, then gather)"
        case .limit(let count): text = "Limit \(count)"
        case .join(let kind, _, _): text = "HashJoin \(kind) (shared dense key ids, right side bucketed)"
        case .union: text = "Union"
        }
        return
            ([String(repeating: "  ", count: depth) + text]
            + plan.inputs.map { physicalPlan($0, depth: depth + 1) }).joined(separator: "\n")
    }
}
