/// What the blocking steps would hold in memory for an input in one piece, so that
/// `SpillPolicy` can decide whether and into how many partitions to spill. Estimates from
/// the steps' own buffers (codes, ids, hash-table scatter, permutations, copies), not
/// measurements: they steer partitioning, they do not cap allocation.
enum MemoryEstimates {
    /// Hash aggregation: key codes, dense ids, the radix scatter and per-aggregate inputs
    /// and states, per row. A global aggregate holds O(1) state and never spills.
    static func aggregate(_ input: Morsels, keys: Int, aggregates: Int) -> Int {
        keys == 0 ? 0 : input.rowCount * (56 + 8 * (keys + aggregates))
    }

    /// Sorting: the input copied into one batch, the sorted copy, and (value, row) pairs.
    static func sort(_ input: Morsels) -> Int { 2 * input.byteCount + 24 * input.rowCount }

    /// Hash joins: key codes and ids of both sides, the right side's buckets, and the
    /// right side's rows copied once.
    static func join(left: Morsels, right: Morsels) -> Int {
        40 * (left.rowCount + right.rowCount) + right.byteCount
    }
}

extension Column {
    /// Bytes of the column's buffers (values, offsets, validity; categories not counted).
    var byteCount: Int { values.count + 4 * (offsets?.count ?? 0) + (validity?.bytes.count ?? 0) }
}

extension RecordBatch {
    /// Bytes of the batch's column buffers.
    var byteCount: Int { columns.reduce(0) { $0 + $1.byteCount } }
}

extension Morsels {
    /// Bytes of all morsels' column buffers.
    var byteCount: Int { batches.reduce(0) { $0 + $1.byteCount } }
}
