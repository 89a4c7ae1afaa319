/// The tasks a worker was handed before their inputs exist, because those inputs are
/// being made on this same worker (the head forwards a task to where its missing inputs
/// run): each starts the moment its last local input is made, with no round trip through
/// the head, so a chain of dependent tasks runs at the pace of one worker.
struct HeldTasks {
    private var tasks: [UInt64: (assignment: TaskAssignment, remaining: Set<UInt64>)] = [:]
    private var waitingOn: [UInt64: [UInt64]] = [:]

    /// Whether task `id` is held here.
    func contains(_ id: UInt64) -> Bool { tasks[id] != nil }

    /// Whether a held task awaits task `id`'s result.
    func isAwaited(_ id: UInt64) -> Bool { waitingOn[id] != nil }

    /// Holds `assignment` until its `awaiting` inputs are made here.
    mutating func hold(_ assignment: TaskAssignment) {
        tasks[assignment.id] = (assignment, Set(assignment.awaiting))
        for input in assignment.awaiting { waitingOn[input, default: []].append(assignment.id) }
    }

    /// Stops holding task `id` (it was cancelled); true when it was held.
    mutating func remove(_ id: UInt64) -> Bool { tasks.removeValue(forKey: id) != nil }

    /// Task `id` ended with `outcome`: the held tasks that now have all their inputs (with
    /// its location added to their arguments), and those that cannot run because it failed.
    mutating func finished(_ id: UInt64, _ outcome: TaskOutcome) -> (ready: [TaskAssignment], failed: [UInt64]) {
        var ready: [TaskAssignment] = []
        var failed: [UInt64] = []
        for waiting in waitingOn.removeValue(forKey: id) ?? [] {
            guard var entry = tasks[waiting] else { continue }  // cancelled meanwhile
            guard case .value(let location) = outcome else {
                tasks[waiting] = nil
                failed.append(waiting)
                continue
            }
            var arguments = entry.assignment.arguments
            arguments[id] = location
            entry.assignment = TaskAssignment(
                id: waiting, name: entry.assignment.name, bytes: entry.assignment.bytes, arguments: arguments)
            entry.remaining.remove(id)
            if entry.remaining.isEmpty {
                tasks[waiting] = nil
                ready.append(entry.assignment)
            } else {
                tasks[waiting] = entry
            }
        }
        return (ready, failed)
    }
}
