/// The head's decisions as a value: events in (a submission, a worker's results, a lost
/// node, ...), actions out (`HeadAction`: send, free, resume waiters, arm a timer). It holds
/// no channels, locks or clocks, so the same code runs under `ClusterHead`'s lock and in
/// the deterministic simulation test, which drives it through thousands of random
/// interleavings and checks its invariants.
///
/// - A task waits until every object it takes exists, then joins the queue; a failed
///   input fails it (`dependencyFailed`) without running.
/// - A worker that is lost has its running tasks put back in the queue, first in line (up
///   to their attempt limit), so a killed worker costs a retry, not the job.
/// - An object lives while the driver holds a ref to it or a waiting task needs it.
/// - The objects of a node that dies are rebuilt by running again the tasks that made
///   them (lineage), or fail with `objectLost` when their inputs are freed.
struct HeadState {
    /// The node whose store is the head's own (its objects need no lineage).
    let localNode: Int
    private(set) var objects = ObjectTable()
    /// The waiting and queued tasks (changed only by this type's methods, in its files).
    var graph = TaskGraph()
    /// The workers and what they run (changed only by this type's methods, in its files).
    var placement: Placement
    /// A `.dispatchSoon` is out and has not run yet.
    var dispatchScheduled = false
    private var nextID: UInt64 = 0

    /// A head on `localNode` whose workers will offer `offers`, with at most `window`
    /// tasks in flight per worker.
    init(localNode: Int, offers: [Resources], window: Int = 1024) {
        self.localNode = localNode
        placement = Placement(window: window, offers: offers)
    }

    /// How many tasks are not done (waiting, queued or running).
    var unfinishedTasks: Int { graph.count + placement.runningCount }

    /// A fresh object id (for `put`, whose bytes are written before the head learns of them).
    mutating func reserveID() -> UInt64 {
        nextID += 1
        return nextID
    }

    /// Records object `id` at `location`, held by one reference.
    mutating func put(_ id: UInt64, at location: ObjectLocation) -> [HeadAction] {
        objects.create(id)
        objects.record(id, .success(location))
        return storedActions([(id, location)])
    }

    /// Records object `id` as failed with `error`, held by one reference (a remote driver's
    /// submission the head refused: its `get` throws the reason).
    mutating func recordFailure(_ id: UInt64, _ error: RuntimeError) -> [HeadAction] {
        objects.create(id)
        objects.record(id, .failure(error))
        let waiting = objects.takeWaiters(id)
        return waiting.isEmpty ? [] : [.resume(waiting, .failure(error))]
    }

    /// Queues `submission` (its id is fresh: from `reserveID`, or a remote driver's own
    /// range); its result is held by one reference.
    /// - Throws: `RuntimeError.infeasible` for a demand no worker offers,
    ///   `.unboundReference` for an argument this head does not hold, `.malformedTask` for
    ///   an id in use.
    mutating func submit(_ submission: SubmittedTask) throws -> [HeadAction] {
        let (id, name, demand) = (submission.id, submission.name, submission.demand)
        guard placement.isFeasible(demand) else {
            throw RuntimeError.infeasible(task: name, demand: demand, offers: placement.offers)
        }
        let inputs = Array(Set(submission.arguments)).sorted()
        if let unknown = inputs.first(where: { !objects.isHeld($0) }) { throw RuntimeError.unboundReference(unknown) }
        guard !objects.isHeld(id) else { throw RuntimeError.malformedTask(name: name, reason: "id \(id) is taken") }
        let task = PendingTask(submission, inputs: inputs)
        objects.create(id)
        for input in inputs { objects.hold(input) }
        var actions: [HeadAction] = []
        if let timeout = submission.timeout { actions.append(.cancelAfter(timeout, task: id, name: name)) }
        if inputs.contains(where: objects.hasFailed) {
            return actions + finish([(task, inputFailure(task))])
        }
        let missing = inputs.filter { objects.outcome($0) == nil }
        if missing.isEmpty {
            graph.enqueue(task)
        } else {
            graph.block(task, missing: missing)
        }
        let forwardable = !missing.isEmpty && demand.isNone && placement.forwardingTarget(missing: missing) != nil
        if forwardable { graph.forwardCandidates.append(id) }
        guard missing.isEmpty || forwardable, !dispatchScheduled else { return actions }
        dispatchScheduled = true
        return actions + [.dispatchSoon]
    }

    /// Where object `id` is, if it exists; else waiter `token` waits for it (resumed by a
    /// later `.resume` action). A failure names why: its task's error, or
    /// `unboundReference` for an id no reference holds (never given out, or freed).
    mutating func wait(for id: UInt64, token: UInt64) -> Result<ObjectLocation, RuntimeError>? {
        if let outcome = objects.outcome(id) { return outcome }
        guard objects.isHeld(id) else { return .failure(.unboundReference(id)) }
        objects.addWaiter(token, for: id)
        return nil
    }

    /// Waiter `token` gives up on `id`; false when it was already resumed.
    mutating func abandonWait(for id: UInt64, token: UInt64) -> Bool { objects.removeWaiter(token, for: id) }

    /// One reference to object `id` is gone; the object goes with the last.
    mutating func release(_ id: UInt64) -> [HeadAction] {
        let freed = objects.drop(id)
        return freed.isEmpty ? [] : [.free(freed)]
    }

    /// Stops task `id`: a queued or waiting task ends at once, a running one is asked to
    /// stop. Either way its ref then fails with `reason`.
    mutating func cancel(_ id: UInt64, reason: RuntimeError) -> [HeadAction] {
        if let task = graph.remove(id) { return finish([(task, .failure(reason))]) }
        guard let worker = placement.worker(running: id) else { return [] }
        placement.markCancelled(id, on: worker, reason: reason)
        return [.send(worker, .cancel([id]))]
    }

    /// Worker `id` of node `node` offering `capacity` is ready; a worker of a lost node is
    /// closed. The shell tells an accepted worker where the nodes' object servers are
    /// before these actions.
    mutating func workerJoined(_ id: WorkerID, node: Int, capacity: Resources) -> [HeadAction] {
        guard placement.join(id, node: node, capacity: capacity, localNode: localNode) else { return [.close(id)] }
        var actions = dispatch()
        if graph.queue.isEmpty, let (victim, ids) = placement.stealRequest(for: id) {
            actions.append(.send(victim, .steal(ids)))
        }
        return actions
    }

    /// Worker `id`'s connection closed: its running tasks go back to the queue (or fail
    /// after their last attempt).
    mutating func workerLost(_ id: WorkerID) -> [HeadAction] {
        var inputFailed: [PendingTask] = []
        let failed = removeWorker(id, inputFailed: &inputFailed)
        return conclude(failed, inputFailed: inputFailed)
    }

    /// Node `node` is gone: the objects only it held are made again by their tasks where
    /// those tasks' inputs still exist, and fail with `objectLost` otherwise; its workers
    /// are dropped (as lost workers) and closed.
    mutating func nodeLost(_ node: Int) -> [HeadAction] {
        var inputFailed: [PendingTask] = []
        let workers = placement.loseNode(node)
        var rebuild: [PendingTask] = []
        let lost = objects.stored(on: node)
        for id in lost {
            if var task = objects.takeLineage(id), task.arguments.allSatisfy(objects.isHeld) {
                objects.forget(id)
                for input in task.arguments { objects.hold(input) }
                task.attempts = 0
                rebuild.append(task)
            } else {
                let reason = "node \(node) died holding it and the inputs of its task are freed"
                objects.record(id, .failure(.objectLost(id, reason: reason)))
            }
        }
        // Placed after every lost object is forgotten, so a rebuilt task waits for rebuilt
        // inputs; so do queued and waiting tasks that take one (or fail with it), instead of
        // being handed out without its location (found by the head simulation).
        let lostSet = Set(lost)
        let takesLost = { (task: PendingTask) in task.arguments.contains(where: lostSet.contains) }
        let queued = graph.takeQueue()
        graph.enqueue(contentsOf: queued.filter { !takesLost($0) })
        let again = queued.filter(takesLost) + graph.takeWaiting(where: takesLost) + rebuild
        for task in again where !graph.place(task, objects: objects) { inputFailed.append(task) }
        let failed = workers.flatMap { removeWorker($0, inputFailed: &inputFailed) }
        return workers.map { .close($0) } + conclude(failed, inputFailed: inputFailed)
    }

    /// Outcomes reported by worker `worker`.
    mutating func received(_ results: [(id: UInt64, outcome: TaskOutcome)], from worker: WorkerID) -> [HeadAction] {
        var finished: [(PendingTask, Result<ObjectLocation, RuntimeError>)] = []
        var inputFailed: [PendingTask] = []
        var unreachable: [PendingTask] = []
        placement.answered(worker)
        for result in results {
            guard let task = placement.finish(result.id, on: worker) else { continue }
            switch result.outcome {
            case .value(let location): finished.append((task, .success(location)))
            case .failed(let reason): finished.append((task, .failure(.taskFailed(reason))))
            case .cancelled: finished.append((task, .failure(task.cancellation ?? .cancelled(task: task.name))))
            case .inputFailed: inputFailed.append(task)
            case .notHeld, .returned: if !graph.place(task, objects: objects) { inputFailed.append(task) }
            case .inputUnreachable(let reason):
                var again = task
                again.attempts += 1
                if again.attempts >= again.maxAttempts {
                    finished.append((task, .failure(.taskFailed("its inputs could not be pulled: \(reason)"))))
                } else {
                    unreachable.append(again)
                }
            }
        }
        var actions: [HeadAction] = []
        if graph.queue.isEmpty, let (victim, ids) = placement.stealRequest(for: worker) {
            actions.append(.send(victim, .steal(ids)))
        }
        actions += storedActions(finished.compactMap { task, outcome in (try? outcome.get()).map { (task.id, $0) } })
        // The node holding an input died; by the time this fires the head knows, and the
        // input is being rebuilt (or has failed).
        if !unreachable.isEmpty { actions.append(.retryAfter(.milliseconds(200), unreachable)) }
        return actions + conclude(finished, inputFailed: inputFailed)
    }

    /// Places `tasks` again (after `.retryAfter`).
    mutating func placeAgain(_ tasks: [PendingTask]) -> [HeadAction] {
        conclude([], inputFailed: tasks.filter { !graph.place($0, objects: objects) })
    }

    /// `.stored` for each stored location.
    private func storedActions(_ made: [(UInt64, ObjectLocation)]) -> [HeadAction] {
        made.compactMap { id, location in
            guard case .stored(let size, let node) = location else { return nil }
            return .stored(id, size: size, node: node)
        }
    }

    /// Records how `finished` tasks ended, then fails `inputFailed` (tasks one of whose
    /// inputs failed: after the failures they depend on, in order), then hands out work.
    private mutating func conclude(
        _ finished: [(PendingTask, Result<ObjectLocation, RuntimeError>)], inputFailed: [PendingTask]
    ) -> [HeadAction] {
        var actions = finish(finished)
        for task in inputFailed { actions += finish([(task, inputFailure(task))]) }
        return actions + dispatch()
    }

    /// Forgets worker `id`: its running tasks go back to wait or queue, first in line, or
    /// are returned as failed when out of attempts (or cancelled); those with a failed
    /// input are added to `inputFailed`.
    private mutating func removeWorker(_ id: WorkerID, inputFailed: inout [PendingTask])
        -> [(PendingTask, Result<ObjectLocation, RuntimeError>)]
    {
        guard let worker = placement.remove(id) else { return [] }
        var failed: [(PendingTask, Result<ObjectLocation, RuntimeError>)] = []
        let waiting = graph.takeQueue()
        for var task in worker.running.values.sorted(by: { $0.id < $1.id }) {
            task.attempts += 1
            if let cancellation = task.cancellation {
                failed.append((task, .failure(cancellation)))
            } else if task.attempts >= task.maxAttempts {
                failed.append((task, .failure(.workerLost(task: task.name, attempts: task.attempts))))
            } else if !graph.place(task, objects: objects) {
                // A task held for an input made on that worker waits for it again; its
                // input may have failed with it.
                inputFailed.append(task)
            }
        }
        graph.enqueue(contentsOf: waiting)
        return failed
    }

    /// Records how tasks ended, wakes whoever waits for their objects, releases their
    /// inputs, and moves tasks whose inputs are now all there to the queue (or fails them
    /// when an input failed, and so on down the graph).
    private mutating func finish(_ outcomes: [(PendingTask, Result<ObjectLocation, RuntimeError>)]) -> [HeadAction] {
        var resumes: [HeadAction] = []
        var freed: [UInt64] = []
        var work = outcomes
        while let (task, outcome) = work.popLast() {
            if !objects.isHeld(task.id) {
                if case .success(.stored) = outcome { freed.append(task.id) }  // no one holds it any more
            } else {
                let elsewhere = outcome.storedNode.map { $0 != localNode } ?? false
                objects.record(task.id, outcome, madeBy: elsewhere ? task : nil)
            }
            let waiting = objects.takeWaiters(task.id)
            if !waiting.isEmpty { resumes.append(.resume(waiting, outcome)) }
            for input in task.arguments { freed += objects.drop(input) }
            let failed: Bool
            if case .failure = outcome { failed = true } else { failed = false }
            for dependent in graph.objectEnded(task.id, failed: failed) {
                work.append((dependent, inputFailure(dependent)))
            }
        }
        return (freed.isEmpty ? [] : [.free(freed)]) + resumes
    }

    /// The failure of a task one of whose inputs failed (the first, by id).
    private func inputFailure(_ task: PendingTask) -> Result<ObjectLocation, RuntimeError> {
        for input in task.arguments {
            if case .failure(let error) = objects.outcome(input) {
                return .failure(.dependencyFailed(task: task.name, input: input, reason: "\(error)"))
            }
        }
        return .failure(.dependencyFailed(task: task.name, input: 0, reason: "unknown"))
    }
}

extension Result where Success == ObjectLocation {
    /// The node whose store holds a successful stored outcome.
    fileprivate var storedNode: Int? {
        if case .success(let location) = self { return location.node }
        return nil
    }
}
