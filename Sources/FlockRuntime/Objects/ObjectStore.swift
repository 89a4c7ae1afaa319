import Foundation
import Logging

/// The head's account of a node's stored (large) objects: their sizes, which are in memory
/// and when each was last used. When the bytes in memory pass `memoryLimit`, the least
/// recently used objects spill to disk on a background queue (the event loops never copy
/// files); readers find them there by id (`ObjectDirectory`).
final class ObjectStore: @unchecked Sendable {  // state guarded by `lock`
    /// What the store holds now.
    struct Statistics: Sendable, Equatable {
        /// Objects in memory / on disk.
        var inMemory = 0
        var spilled = 0
        /// Their bytes.
        var memoryBytes = 0
        var spilledBytes = 0
    }

    let directory: ObjectDirectory
    let memoryLimit: Int
    private let lock = NSLock()
    private let spiller = DispatchQueue(label: "flock.object-store.spill")
    private let logger = Logger(label: "flock.object-store")
    private var inMemory: [UInt64: (size: Int, lastUse: UInt64)] = [:]
    private var spilling: Set<UInt64> = []
    private var spilled: [UInt64: Int] = [:]
    private var uses: UInt64 = 0
    private var statistics = Statistics()

    init(directory: ObjectDirectory, memoryLimit: Int) {
        self.directory = directory
        self.memoryLimit = memoryLimit
    }

    /// What the store holds now.
    var current: Statistics { lock.withLock { statistics } }

    /// A new object of `size` bytes is in memory.
    func added(_ id: UInt64, size: Int) {
        let victims = lock.withLock { () -> [UInt64] in
            uses += 1
            inMemory[id] = (size, uses)
            statistics.inMemory += 1
            statistics.memoryBytes += size
            return chooseVictims()
        }
        spill(victims)
    }

    /// Object `id` was read (it becomes the last to spill).
    func used(_ id: UInt64) {
        lock.withLock {
            uses += 1
            inMemory[id]?.lastUse = uses
        }
    }

    /// Object `id` is no longer referenced: its files go.
    func removed(_ id: UInt64) {
        lock.withLock {
            if let entry = inMemory.removeValue(forKey: id) {
                statistics.inMemory -= 1
                statistics.memoryBytes -= entry.size
            }
            if let size = spilled.removeValue(forKey: id) {
                statistics.spilled -= 1
                statistics.spilledBytes -= size
            }
        }
        directory.remove(id)
    }

    /// Waits until spills under way are done (for tests and statistics).
    func settle() { spiller.sync {} }

    /// Least recently used objects to spill until memory is under the limit (not counting
    /// those already being spilled). Called under the lock.
    private func chooseVictims() -> [UInt64] {
        var excess = statistics.memoryBytes - memoryLimit
        for id in spilling { excess -= inMemory[id]?.size ?? 0 }
        guard excess > 0 else { return [] }
        var victims: [UInt64] = []
        for (id, entry) in inMemory.sorted(by: { $0.value.lastUse < $1.value.lastUse }) where excess > 0 {
            guard !spilling.contains(id) else { continue }
            victims.append(id)
            excess -= entry.size
        }
        spilling.formUnion(victims)
        return victims
    }

    private func spill(_ victims: [UInt64]) {
        guard !victims.isEmpty else { return }
        spiller.async { [self] in
            for id in victims {
                var failure: Error?
                do { try directory.spillObject(id) } catch { failure = error }
                let orphaned = lock.withLock { () -> Bool in
                    spilling.remove(id)
                    guard failure == nil else { return false }
                    guard let entry = inMemory.removeValue(forKey: id) else { return true }  // freed meanwhile
                    spilled[id] = entry.size
                    statistics.inMemory -= 1
                    statistics.memoryBytes -= entry.size
                    statistics.spilled += 1
                    statistics.spilledBytes += entry.size
                    return false
                }
                if orphaned { directory.remove(id) }
                if let failure { logger.warning("object \(id) stays in memory: \(failure)") }
            }
        }
    }
}
