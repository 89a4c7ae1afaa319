import Foundation

/// The columns of persisted partitions (`DataFrame.persist(on:)`) that a worker process
/// has decoded, kept for the next query that reads them, as Dask's workers keep persisted
/// frames and Spark's executors cached partitions: decoding copies every value out of the
/// object store, and on the cluster's group-by queries that copy (into fresh memory) cost
/// as much as some queries' aggregation.
///
/// Keyed by object id and column name (objects never change; ids are not reused), least
/// recently used first out past `capacity` bytes (`FLOCK_PERSIST_CACHE_BYTES`, default a
/// sixteenth of RAM per worker process). Categories are interned by one interner, so the
/// columns of every partition share them as they would decoded in one task. Tasks decode
/// in parallel (two that miss the same column both decode it; the first kept wins). A
/// freed persisted table's columns stay until pushed out.
final class PersistedColumns: @unchecked Sendable {  // state guarded by `lock`
    /// The worker process's cache.
    static let shared = PersistedColumns(capacity: defaultCapacity())

    private struct Entry {
        /// The object's column names in their order, and those decoded so far.
        let names: [String]
        var columns: [String: Column]
        var bytes: Int
        var lastUse: UInt64
    }

    let capacity: Int
    private let lock = NSLock()
    private let interner = CategoryInterner()
    private var entries: [UInt64: Entry] = [:]
    private var bytes = 0
    private var uses: UInt64 = 0

    init(capacity: Int) { self.capacity = capacity }

    /// The bytes the cache holds now.
    var heldBytes: Int { lock.withLock { bytes } }

    /// Object `id`'s `columns` (all when nil), in the object's order, when every one of them
    /// is kept; else nil.
    func batch(_ id: UInt64, columns wanted: Set<String>?) -> RecordBatch? {
        lock.withLock {
            guard var entry = entries[id] else { return nil }
            let names = entry.names.filter { wanted?.contains($0) ?? true }
            let columns = names.compactMap { entry.columns[$0] }
            guard columns.count == names.count else { return nil }
            uses += 1
            entry.lastUse = uses
            entries[id] = entry
            return try? RecordBatch(names: names, columns: columns)
        }
    }

    /// Decodes object `id`'s `columns` (all when nil) from `bytes`, keeps them, and
    /// returns them.
    /// - Throws: `BatchCoding`'s errors for bytes that are not a batch.
    func decode(_ id: UInt64, _ bytes: UnsafeRawBufferPointer, columns wanted: Set<String>?) throws -> RecordBatch {
        let names = try BatchCoding.columnNames(bytes)
        let batch = try BatchCoding.decode(bytes, columns: wanted, categories: interner)
        return lock.withLock {
            var entry =
                entries[id] ?? Entry(names: names, columns: [:], bytes: 0, lastUse: 0)
            for (name, column) in zip(batch.names, batch.columns) where entry.columns[name] == nil {
                entry.columns[name] = column
                let size = column.values.count + (column.validity?.bytes.count ?? 0) + 4 * (column.offsets?.count ?? 0)
                entry.bytes += size
                self.bytes += size
            }
            uses += 1
            entry.lastUse = uses
            entries[id] = entry
            evict(keeping: id)
            return batch
        }
    }

    /// Drops the least recently used objects until the cache fits (never `kept`, the one
    /// just read). Called under the lock.
    private func evict(keeping kept: UInt64) {
        while bytes > capacity,
            let victim = entries.filter({ $0.key != kept }).min(by: { $0.value.lastUse < $1.value.lastUse })
        {
            bytes -= victim.value.bytes
            entries[victim.key] = nil
        }
    }

    /// `FLOCK_PERSIST_CACHE_BYTES`, else a sixteenth of the machine's memory.
    private static func defaultCapacity() -> Int {
        if let text = ProcessInfo.processInfo.environment["FLOCK_PERSIST_CACHE_BYTES"], let value = Int(text),
            value >= 0
        {
            return value
        }
        return Int(ProcessInfo.processInfo.physicalMemory / 16)
    }
}
