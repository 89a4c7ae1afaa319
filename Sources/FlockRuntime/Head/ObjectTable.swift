/// The head's record of every object: how it ended (made at a location, or failed), how
/// many references hold it, who waits for it, and, for an object that lives only on
/// another node, the task that made it (lineage: run again if that node dies).
///
/// An object is held while its count is above zero: one for each copy of the driver's ref
/// (counted by the driver and released once) and one for each waiting task that takes it.
struct ObjectTable {
    private(set) var outcomes: [UInt64: Result<ObjectLocation, RuntimeError>] = [:]
    private(set) var references: [UInt64: Int] = [:]
    /// Waiter tokens by object id.
    private var waiters: [UInt64: [UInt64]] = [:]
    /// Finished tasks whose results live only on another node.
    private(set) var lineage: [UInt64: PendingTask] = [:]

    /// How many objects are held.
    var count: Int { references.count }
    /// How many waiters wait.
    var waiterCount: Int { waiters.values.reduce(0) { $0 + $1.count } }

    /// Whether a reference holds `id`.
    func isHeld(_ id: UInt64) -> Bool { references[id] != nil }

    /// How `id` ended; nil while it is being made (or when nothing holds it).
    func outcome(_ id: UInt64) -> Result<ObjectLocation, RuntimeError>? { outcomes[id] }

    /// Whether `id` ended in failure.
    func hasFailed(_ id: UInt64) -> Bool {
        if case .failure = outcomes[id] { return true }
        return false
    }

    /// Starts holding `id` with one reference (a new task's result, a put).
    mutating func create(_ id: UInt64) { references[id] = references[id] ?? 1 }

    /// One more reference to a held `id` (a waiting task that takes it).
    mutating func hold(_ id: UInt64) { references[id, default: 0] += 1 }

    /// Records how `id` ended; `madeBy` is kept as its lineage when it lives on another node.
    mutating func record(_ id: UInt64, _ outcome: Result<ObjectLocation, RuntimeError>, madeBy: PendingTask? = nil) {
        outcomes[id] = outcome
        if let madeBy { lineage[id] = madeBy }
    }

    /// Forgets the outcome of `id`, which is being made again.
    mutating func forget(_ id: UInt64) {
        outcomes[id] = nil
    }

    /// Takes the task that made `id` on a node that is now lost, if there is one.
    mutating func takeLineage(_ id: UInt64) -> PendingTask? { lineage.removeValue(forKey: id) }

    /// Drops one reference to `id`; returns `id` when that was the last and the object was
    /// stored (its files are to be deleted).
    mutating func drop(_ id: UInt64) -> [UInt64] {
        guard let count = references[id] else { return [] }
        guard count <= 1 else {
            references[id] = count - 1
            return []
        }
        references[id] = nil
        lineage[id] = nil
        guard let outcome = outcomes.removeValue(forKey: id) else { return [] }  // its task will free it
        if case .success(.stored) = outcome { return [id] }
        return []
    }

    /// The objects stored on `node`.
    func stored(on node: Int) -> [UInt64] {
        outcomes.compactMap { id, outcome in
            if case .success(.stored(_, node)) = outcome { return id }
            return nil
        }.sorted()
    }

    /// Adds waiter `token` for `id`.
    mutating func addWaiter(_ token: UInt64, for id: UInt64) { waiters[id, default: []].append(token) }

    /// Removes waiter `token` for `id`; false when it was not waiting (already resumed).
    mutating func removeWaiter(_ token: UInt64, for id: UInt64) -> Bool {
        guard let index = waiters[id]?.firstIndex(of: token) else { return false }
        waiters[id]!.remove(at: index)  // Invariant: found just now.
        if waiters[id]!.isEmpty { waiters[id] = nil }
        return true
    }

    /// Takes every waiter of `id`.
    mutating func takeWaiters(_ id: UInt64) -> [UInt64] { waiters.removeValue(forKey: id) ?? [] }
}
