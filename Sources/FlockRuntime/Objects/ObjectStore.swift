import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The head's account of a node's stored (large) objects: their sizes, which are in memory
/// and when each was last used. When the bytes in memory pass `memoryLimit`, the least
/// recently used objects spill to disk on a background queue (the event loops never copy
/// files); readers find them there by id (`ObjectDirectory`).
///
/// The memory files of freed objects are kept (up to `keptFiles`, and a quarter of the
/// limit) in the directory's `free` folder, for the next object any process of the node
/// writes (a put, a task's result) to be written over: a freed object has no reader left
/// (refs pin their objects while they are read, tasks their inputs while they run).
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
    /// At most this many freed files wait for reuse (a shuffle frees one per task).
    static let keptFiles = 16

    init(directory: ObjectDirectory, memoryLimit: Int) {
        self.directory = directory
        self.memoryLimit = memoryLimit
    }

    /// The memory limit unless told otherwise: a third of the shared-memory file system
    /// that holds `directory`, at most 30% of RAM.
    static func defaultLimit(_ directory: ObjectDirectory) -> Int {
        let memory = Int(ProcessInfo.processInfo.physicalMemory)
        guard let attributes = try? FileManager.default.attributesOfFileSystem(forPath: directory.memory),
            let size = attributes[.systemSize] as? Int
        else { return memory * 3 / 10 }
        return min(size / 3, memory * 3 / 10)
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

    /// Object `id` is no longer referenced: its files go (its memory file may be kept for reuse).
    func removed(_ id: UInt64) {
        let keep = lock.withLock { () -> Bool in
            if let size = spilled.removeValue(forKey: id) {
                statistics.spilled -= 1
                statistics.spilledBytes -= size
            }
            guard let entry = inMemory.removeValue(forKey: id) else { return false }
            statistics.inMemory -= 1
            statistics.memoryBytes -= entry.size
            guard !spilling.contains(id), entry.size >= 1 << 20 else { return false }
            let free = directory.freeFiles()
            return free.count < Self.keptFiles && free.reduce(entry.size) { $0 + $1.size } <= memoryLimit / 4
        }
        if keep, directory.keepForReuse(id) { return }
        directory.remove(id)
    }

    /// Waits until spills under way are done (for tests and statistics).
    func settle() { spiller.sync {} }

    /// Least recently used objects to spill until memory is under the limit (not counting
    /// those already being spilled). Called under the lock.
    private func chooseVictims() -> [UInt64] {
        var free = directory.freeFiles()
        var freeBytes = free.reduce(0) { $0 + $1.size }
        while let file = free.popLast(), statistics.memoryBytes + freeBytes > memoryLimit {
            unlink(file.path)  // kept files go before any object spills
            freeBytes -= file.size
        }
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
