/// The tasks that have not been handed to a worker: those waiting for inputs (`blocked`,
/// with how many are still missing, and `dependents`: which tasks each missing object
/// unblocks) and those whose inputs all exist (`queue`, in order).
struct TaskGraph {
    private(set) var queue: [PendingTask] = []
    private(set) var blocked: [UInt64: (task: PendingTask, missing: Int)] = [:]
    private(set) var dependents: [UInt64: [UInt64]] = [:]
    /// Waiting tasks submitted since the last dispatch whose inputs run on one worker.
    var forwardCandidates: [UInt64] = []

    /// How many tasks wait or are queued.
    var count: Int { queue.count + blocked.count }

    /// Puts `task` to wait for its inputs, or in the queue when they all exist; false (and
    /// nothing changes) when one of them failed.
    mutating func place(_ task: PendingTask, objects: ObjectTable) -> Bool {
        var missing: [UInt64] = []
        for input in task.arguments {
            switch objects.outcome(input) {
            case .failure?: return false
            case .success?: continue
            case nil: missing.append(input)
            }
        }
        if missing.isEmpty {
            queue.append(task)
        } else {
            block(task, missing: missing)
        }
        return true
    }

    /// Makes `task` wait for `missing`.
    mutating func block(_ task: PendingTask, missing: [UInt64]) {
        blocked[task.id] = (task, missing.count)
        for input in missing { dependents[input, default: []].append(task.id) }
    }

    /// Appends `task`, whose inputs all exist, to the queue.
    mutating func enqueue(_ task: PendingTask) { queue.append(task) }

    /// Takes the whole queue (to hand out, or to put behind tasks first in line).
    mutating func takeQueue() -> [PendingTask] {
        defer { queue.removeAll() }
        return queue
    }

    /// Appends `tasks` to the queue.
    mutating func enqueue(contentsOf tasks: [PendingTask]) { queue += tasks }

    /// Removes task `id` from the queue or from the waiting tasks.
    mutating func remove(_ id: UInt64) -> PendingTask? {
        if let index = queue.firstIndex(where: { $0.id == id }) { return queue.remove(at: index) }
        return blocked.removeValue(forKey: id)?.task
    }

    /// Takes the waiting tasks that `predicate` picks out of the graph, in id order (to be
    /// placed again).
    mutating func takeWaiting(where predicate: (PendingTask) -> Bool) -> [PendingTask] {
        let taken = blocked.values.map(\.task).filter(predicate).sorted { $0.id < $1.id }
        for task in taken { unblock(task.id, missing: task.arguments) }
        return taken
    }

    /// The waiting task `id`, if it waits.
    func waiting(_ id: UInt64) -> PendingTask? { blocked[id]?.task }

    /// Takes the waiting task `id` out of the graph (it is forwarded to the worker making
    /// its `missing` inputs).
    mutating func unblock(_ id: UInt64, missing: [UInt64]) {
        blocked[id] = nil
        for input in missing { dependents[input]?.removeAll { $0 == id } }
    }

    /// Object `id` ended (`failed`: its task failed): the tasks that waited only for it join
    /// the queue; returns those that fail because it failed.
    mutating func objectEnded(_ id: UInt64, failed: Bool) -> [PendingTask] {
        var failing: [PendingTask] = []
        for waitingID in dependents.removeValue(forKey: id) ?? [] {
            guard var entry = blocked[waitingID] else { continue }  // cancelled or forwarded meanwhile
            if failed {
                blocked[waitingID] = nil
                failing.append(entry.task)
            } else {
                entry.missing -= 1
                if entry.missing == 0 {
                    blocked[waitingID] = nil
                    queue.append(entry.task)
                } else {
                    blocked[waitingID] = entry
                }
            }
        }
        return failing
    }

    /// The ids that tasks wait on (the graph's edges), for forwarding.
    func dependents(of id: UInt64) -> [UInt64] { dependents[id] ?? [] }
}
