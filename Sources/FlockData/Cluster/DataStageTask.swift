import FlockRuntime

/// The one task FlockData sends to a cluster's workers: decode its inputs from the object
/// store, run a plan fragment over them in this process (all of the worker's threads), and
/// encode the rows, whole or split by key hash into one piece per reducer (the map side of
/// a shuffle). Register it with the program's other tasks: `DataTasks.all`.
public struct DataStageTask: RemoteTask {
    /// Where an input's batches come from.
    struct Input: Codable, Sendable {
        /// Encoded batches (`BatchCoding`), or encoded pieces when `piece` is set.
        var objects: [ObjectRef<[UInt8]>]
        /// Which piece of each object to read (a reducer's share of a shuffle).
        var piece: Int?
        /// The columns to decode (nil: all).
        var columns: [String]?
        /// Parquet row groups to read from the files instead (objects then empty): the
        /// files must be at the same path on every worker, as with Spark and Dask.
        var scan: ParquetScan?
        /// The objects are a persisted table's partitions: their decoded columns are kept
        /// in the worker for the next query (`PersistedColumns`).
        var persisted: Bool? = nil
    }

    /// What the task makes of the fragment's rows.
    enum Form: Codable, Sendable {
        /// One encoded batch.
        case batch
        /// `count` encoded pieces by the hash of `keys` (`asFloat`: keys hashed as float64).
        case pieces(keys: [String], asFloat: [String], count: Int)
    }

    let inputs: [Input]
    let fragment: PlanFragment
    let output: Form

    /// Runs the stage in a worker.
    public func run() async throws -> EncodedRows {
        let interner = CategoryInterner()
        var batches: [[RecordBatch]] = []
        for input in inputs { batches.append(try await input.read(categories: interner)) }
        // The fragment's morsels are encoded as they are, part after part: never
        // concatenated into one batch first.
        let frame = try fragment.frame(batches)
        var morsels = try frame.collectBatches()
        if morsels.isEmpty { morsels = [try RecordBatch.empty(frame.schema)] }
        switch output {
        case .batch: return EncodedRows(.batch(try BatchParts(morsels)))
        case .pieces(let keys, let asFloat, let count):
            // Each morsel's rows per piece; the values are gathered as each piece is written.
            let rows = try Parallel.map(morsels.count) {
                try HashPartitioner.pieceRows(morsels[$0], keys: keys, asFloat: Set(asFloat), count: count)
            }
            return EncodedRows(
                .pieces(
                    try (0..<count).map { piece in try BatchParts(gathering: morsels, rows: rows.map { $0[piece] }) }))
        }
    }
}

/// The task types a program that runs FlockData on a cluster registers, with its own:
/// `TaskRegistry(myTasks + DataTasks.all)`.
public enum DataTasks {
    /// FlockData's remote tasks.
    public static let all: [any RemoteTask.Type] = [DataStageTask.self]
}

extension DataStageTask.Input {
    /// The input's batches: read from the files, taken from the worker's kept columns of a
    /// persisted table (decoded and kept on a miss), or decoded from the store's memory.
    func read(categories interner: CategoryInterner) async throws -> [RecordBatch] {
        if let scan { return try scan.read() }
        let columns = columns.map(Set.init)
        var decoded: [RecordBatch] = []
        for object in objects {
            if persisted == true, piece == nil, let kept = PersistedColumns.shared.batch(object.id, columns: columns) {
                decoded.append(kept)
                continue
            }
            decoded.append(
                try await object.withUnsafeElements { (bytes: UnsafeBufferPointer<UInt8>) in
                    let raw = UnsafeRawBufferPointer(bytes)
                    if let piece {
                        return try BatchCoding.decode(piece: piece, of: raw, columns: columns, categories: interner)
                    }
                    if persisted == true { return try PersistedColumns.shared.decode(object.id, raw, columns: columns) }
                    return try BatchCoding.decode(raw, columns: columns, categories: interner)
                })
        }
        return decoded
    }
}
