import FlockTensor

/// Rows split by the hash of key columns into partitions on disk, so that a blocking step
/// too large for memory runs one partition at a time (grace hash partitioning): rows with
/// equal keys share a partition, and within a partition rows keep their input order, so
/// per-group folds see their values in the same order as without spilling.
final class SpilledPartitions {
    private let files: [SpillFile]
    private let keys: [String]
    private let asFloat: Set<String>
    private let interner = CategoryInterner()

    /// `count` empty partitions split by `keys` (`asFloat`: keys hashed as float64, for
    /// joins of integer and float keys), in files under `policy.directory`.
    init(count: Int, keys: [String], asFloat: Set<String> = [], policy: SpillPolicy) throws {
        files = try (0..<count).map { _ in try SpillFile(policy) }
        self.keys = keys
        self.asFloat = asFloat
    }

    /// How many partitions there are.
    var count: Int { files.count }

    /// Adds the rows of `batches`, made by `prepare` (a projection, say) from each input
    /// batch: a few batches at a time are prepared and split in parallel, then written in
    /// input order, so only a wave of batches is in memory beyond the input.
    func add(_ count: Int, prepare: (Int) throws -> RecordBatch) throws {
        let wave = max(1, 2 * ThreadPool.shared.threadCount)
        for start in stride(from: 0, to: count, by: wave) {
            let pieces = try Parallel.map(min(wave, count - start)) { offset in
                let batch = try prepare(start + offset)
                return try HashPartitioner.split(batch, keys: keys, asFloat: asFloat, into: files.count)
            }
            for batchPieces in pieces {
                for (file, piece) in zip(files, batchPieces) where piece.rowCount > 0 { try file.append(piece) }
            }
        }
    }

    /// The rows of partition `index`, as written (one empty batch of `schema` when none).
    func morsels(_ index: Int, schema: Schema) throws -> Morsels {
        let batches = try files[index].batches(categories: interner)
        return Morsels(batches.isEmpty ? [try RecordBatch.empty(schema)] : batches)
    }
}
