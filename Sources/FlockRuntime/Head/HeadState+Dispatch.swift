extension HeadState {
    /// Hands queued tasks to workers, one batch message each: each task, in queue order, to
    /// the least busy worker (counting the MiB of input it would pull from other nodes as
    /// tasks) whose free resources cover its demand and that has room in its window. Tasks
    /// that fit nowhere yet stay queued (in order) until a worker frees what they need: a
    /// pull from the head's queue, so an idle worker takes the next task instead of work
    /// piling up behind a busy one. Then forwards waiting tasks (`forward`).
    mutating func dispatch() -> [HeadAction] {
        dispatchScheduled = false
        var batches: [WorkerID: [TaskAssignment]] = [:]
        var waiting: [PendingTask] = []
        let ids = placement.ids
        for task in graph.takeQueue() {
            guard let worker = placement.cheapest(for: task, storedBytes: storedBytesByNode(task), among: ids) else {
                waiting.append(task)
                continue
            }
            placement.assign(task, to: worker)
            batches[worker, default: []].append(assignment(task))
        }
        graph.enqueue(contentsOf: waiting)
        forward(into: &batches)
        return batches.keys.sorted().map { .send($0, .tasks(batches[$0]!)) }  // Invariant: keys.
    }

    /// Forwards waiting tasks whose missing inputs are all being made on one worker to that
    /// worker, which holds them and starts each the moment its inputs are made (no round
    /// trip through the head per link of a chain). Looks at the tasks placed in this
    /// dispatch, the waiting tasks submitted since the last one, and what waits for either,
    /// down the graph.
    private mutating func forward(into batches: inout [WorkerID: [TaskAssignment]]) {
        // Invariant: sorted keys of `batches`.
        var placed = batches.keys.sorted().flatMap { batches[$0]!.map(\.id) } + graph.forwardCandidates
        graph.forwardCandidates.removeAll()
        while let id = placed.popLast() {
            for waitingID in (graph.waiting(id) != nil ? [id] : []) + graph.dependents(of: id) {
                guard let task = graph.waiting(waitingID), task.demand.isNone else { continue }
                let missing = task.arguments.filter { objects.outcome($0) == nil }
                guard let worker = placement.forwardingTarget(missing: missing), placement.hasRoom(worker) else {
                    continue
                }
                graph.unblock(waitingID, missing: missing)
                placement.assign(task, to: worker)
                var forwarded = assignment(task)
                forwarded.awaiting = missing
                batches[worker, default: []].append(forwarded)
                placed.append(waitingID)
            }
        }
    }

    /// The bytes of `task`'s stored inputs on each node.
    private func storedBytesByNode(_ task: PendingTask) -> [Int: Int] {
        var bytes: [Int: Int] = [:]
        for input in task.arguments {
            if case .success(.stored(let size, let node)) = objects.outcome(input) { bytes[node, default: 0] += size }
        }
        return bytes
    }

    /// What a worker needs to run `task`: where each of its existing inputs is.
    private func assignment(_ task: PendingTask) -> TaskAssignment {
        var arguments: [UInt64: ObjectLocation] = [:]
        for input in task.arguments {
            if case .success(let location) = objects.outcome(input) { arguments[input] = location }
        }
        return TaskAssignment(id: task.id, name: task.name, bytes: task.submission.bytes, arguments: arguments)
    }
}
