import Foundation

/// The shards a worker process has loaded, kept for the next task on the same shard (an
/// iterative fit asks for a statistic of every shard once per iteration): loading converts
/// the columns into a row-major matrix, which costs as much as some statistics. Least
/// recently used out past `capacity` bytes (`FLOCK_ML_CACHE_BYTES`, default an eighth of
/// RAM per worker process). Tasks load in parallel; two that miss the same shard both
/// load it and the first kept wins.
final class ShardCache: @unchecked Sendable {  // state guarded by `lock`
    /// The worker process's cache.
    static let shared = ShardCache(capacity: defaultCapacity())

    let capacity: Int
    private let lock = NSLock()
    private var entries: [RowShard: (rows: TrainingRows, lastUse: UInt64)] = [:]
    private var bytes = 0
    private var uses: UInt64 = 0

    init(capacity: Int) { self.capacity = capacity }

    /// The shard's rows, loaded on a miss.
    /// - Throws: `RowShard.load`'s errors.
    func rows(of shard: RowShard) async throws -> TrainingRows {
        let kept = lock.withLock { () -> TrainingRows? in
            guard let entry = entries[shard] else { return nil }
            uses += 1
            entries[shard] = (entry.rows, uses)
            return entry.rows
        }
        if let kept { return kept }
        let loaded = try await shard.load()
        return lock.withLock {
            if let entry = entries[shard] { return entry.rows }
            uses += 1
            entries[shard] = (loaded, uses)
            bytes += Self.size(loaded)
            while bytes > capacity,
                let victim = entries.filter({ $0.key != shard }).min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                bytes -= Self.size(victim.value.rows)
                entries[victim.key] = nil
            }
            return loaded
        }
    }

    private static func size(_ rows: TrainingRows) -> Int { 8 * (rows.features.values.count + rows.labels.count) }

    /// `FLOCK_ML_CACHE_BYTES`, else an eighth of the machine's memory.
    private static func defaultCapacity() -> Int {
        if let text = ProcessInfo.processInfo.environment["FLOCK_ML_CACHE_BYTES"], let value = Int(text), value >= 0 {
            return value
        }
        return Int(ProcessInfo.processInfo.physicalMemory / 8)
    }
}
