/// A worker as the head's placement sees it: its node, what it offers and what its running
/// tasks hold of that, and the tasks it has been handed.
struct WorkerSlot {
    let node: Int
    let capacity: Resources
    var used = Resources.none
    var running: [UInt64: PendingTask] = [:]
    /// Asked to hand back tasks for another worker; not asked again until it answers.
    var stealing = false

    /// What is left of its capacity.
    var free: Resources { capacity.adding(used, sign: -1) }
}

/// Where tasks run: the workers, what each runs, and the rules for choosing one (least
/// busy counting the input bytes it would pull, within `window` tasks in flight), for
/// forwarding a waiting task to the worker making its inputs, and for stealing.
///
/// Workers are visited in id order, so a decision depends only on the events before it.
struct Placement {
    /// Tasks in flight per worker at most (a batch never exceeds it).
    let window: Int
    private(set) var workers: [WorkerID: WorkerSlot] = [:]
    /// What the workers (will) offer: a task that fits none is refused.
    private(set) var offers: [Resources]
    /// Nodes that died (a late worker of one is turned away).
    private(set) var lostNodes: Set<Int> = []

    init(window: Int, offers: [Resources]) {
        self.window = window
        self.offers = offers
    }

    /// The workers' ids, in order.
    var ids: [WorkerID] { workers.keys.sorted() }

    /// How many tasks the workers run in all.
    var runningCount: Int { workers.values.reduce(0) { $0 + $1.running.count } }

    /// Whether some worker could ever run a task demanding `demand`.
    func isFeasible(_ demand: Resources) -> Bool { demand.isNone || offers.contains(where: demand.fits) }

    /// Adds worker `id` of `node`; false when that node died. Offers of other nodes than
    /// `localNode` join the feasible set.
    mutating func join(_ id: WorkerID, node: Int, capacity: Resources, localNode: Int) -> Bool {
        guard !lostNodes.contains(node) else { return false }
        workers[id] = WorkerSlot(node: node, capacity: capacity)
        if node != localNode, !offers.contains(capacity) { offers.append(capacity) }
        return true
    }

    /// Removes worker `id`, returning what it was running.
    mutating func remove(_ id: WorkerID) -> WorkerSlot? { workers.removeValue(forKey: id) }

    /// Records that `node` died; returns its workers, in order.
    mutating func loseNode(_ node: Int) -> [WorkerID] {
        lostNodes.insert(node)
        return workers.filter { $0.value.node == node }.map(\.key).sorted()
    }

    /// The worker running task `id`.
    func worker(running id: UInt64) -> WorkerID? { ids.first { workers[$0]!.running[id] != nil } }  // Invariant: keys.

    /// Marks task `id` on `worker` cancelled for `reason`.
    mutating func markCancelled(_ id: UInt64, on worker: WorkerID, reason: RuntimeError) {
        workers[worker]?.running[id]?.cancellation = reason
    }

    /// Hands `task` to `worker`; its demand counts against the worker's resources.
    mutating func assign(_ task: PendingTask, to worker: WorkerID) {
        guard let used = workers[worker]?.used else { return }
        workers[worker]!.running[task.id] = task  // Invariant: found just now (changed in place, not copied).
        workers[worker]!.used = used.adding(task.demand)
    }

    /// Takes task `id` back from `worker` (it ended or was handed back).
    mutating func finish(_ id: UInt64, on worker: WorkerID) -> PendingTask? {
        guard let task = workers[worker]?.running.removeValue(forKey: id) else { return nil }
        workers[worker]!.used = workers[worker]!.used.adding(task.demand, sign: -1)  // Invariant: found just now.
        return task
    }

    /// Whether `worker` has fewer than `window` tasks in flight.
    func hasRoom(_ worker: WorkerID) -> Bool { (workers[worker]?.running.count ?? window) < window }

    /// The worker answered (a steal, or results): it may be asked to hand back tasks again.
    mutating func answered(_ worker: WorkerID) { workers[worker]?.stealing = false }

    /// The least busy worker that can take `task` now: free resources covering its demand,
    /// fewer than `window` tasks in flight, and a MiB of input to pull from another node
    /// (`storedBytes`: input bytes by node) weighing as much as a task in flight.
    func cheapest(for task: PendingTask, storedBytes: [Int: Int], among ids: [WorkerID]) -> WorkerID? {
        var chosen: WorkerID?
        var cheapest = Int.max
        for id in ids {
            let worker = workers[id]!  // Invariant: `ids` are keys of `workers`.
            guard worker.running.count < window, task.demand.isNone || task.demand.fits(in: worker.free) else {
                continue
            }
            let pulled = storedBytes.reduce(0) { $0 + ($1.key == worker.node ? 0 : $1.value) }
            let cost = worker.running.count + pulled >> 20
            guard cost < cheapest else { continue }
            (chosen, cheapest) = (id, cost)
        }
        return chosen
    }

    /// The worker running every one of `missing` (all made by tasks in flight).
    func forwardingTarget(missing: [UInt64]) -> WorkerID? {
        guard let first = missing.first, let id = worker(running: first),
            missing.allSatisfy({ workers[id]!.running[$0] != nil })  // Invariant: found just now.
        else { return nil }
        return id
    }

    /// Work stealing: when `thief` runs nothing (and nothing is queued), the worker with the
    /// most tasks in flight is asked to hand back the newer half of those that could run on
    /// the thief. Returns that worker and the task ids, marking it as asked.
    mutating func stealRequest(for thief: WorkerID) -> (WorkerID, [UInt64])? {
        guard let idle = workers[thief], idle.running.isEmpty else { return nil }
        var victim: WorkerID?
        var most = 1
        for id in ids where id != thief {
            let worker = workers[id]!  // Invariant: keys.
            guard !worker.stealing, worker.running.count > most else { continue }
            (victim, most) = (id, worker.running.count)
        }
        guard let victim else { return nil }
        let ids = workers[victim]!.running.values  // Invariant: chosen from the keys.
            .filter { $0.demand.isNone || $0.demand.fits(in: idle.free) }.map(\.id).sorted(by: >).prefix(most / 2)
        guard !ids.isEmpty else { return nil }
        workers[victim]!.stealing = true
        return (victim, Array(ids))
    }
}
