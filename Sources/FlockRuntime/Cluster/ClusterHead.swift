import FlockComm
import Foundation
import NIOCore

/// The head of a cluster: the task graph (tasks waiting for inputs, queued, running), the
/// workers, the objects (their locations and how many references hold each) and whoever
/// waits for them.
///
/// - A task waits until every object it takes exists, then joins the queue; a failed
///   input fails it (`dependencyFailed`) without running.
/// - Submissions are coalesced: a burst of `submit` calls becomes one batch frame per
///   worker (an equal share of the queue, up to `window` tasks in flight per worker),
///   which is what lets tiny tasks run at tens of thousands per second.
/// - A worker whose connection closes has its running tasks put back in the queue (up to
///   their attempt limit), so a killed worker costs a retry, not the job.
/// - An object lives while the driver holds a ref to it or a waiting task needs it.
/// - Workers may be on several nodes (`flock start --address`): a task goes to the worker
///   with the least work counting the bytes of its inputs it would have to pull from other
///   nodes (locality); the objects of a node that dies are rebuilt by running again the
///   tasks that made them (lineage), or fail with `objectLost` when that cannot be done.
final class ClusterHead: @unchecked Sendable {  // state guarded by `lock`
    /// A submitted task as the head tracks it: its distinct inputs (each holding one
    /// reference until the task ends), its runs so far, and why it was cancelled.
    struct PendingTask {
        let submission: SubmittedTask
        let arguments: [UInt64]
        var attempts = 0
        var cancellation: RuntimeError?

        /// The head's record of `submission`, whose distinct inputs are `inputs`.
        init(_ submission: SubmittedTask, inputs: [UInt64]) {
            self.submission = submission
            arguments = inputs
        }

        var id: UInt64 { submission.id }
        var name: String { submission.name }
        var demand: Resources { submission.demand }
        var maxAttempts: Int { submission.maxAttempts }
    }

    private struct Worker {
        let channel: Channel
        let node: Int
        let capacity: Resources
        var used = Resources.none
        var running: [UInt64: PendingTask] = [:]
        /// Asked to hand back tasks for another worker; not asked again until it answers.
        var stealing = false
    }

    private typealias Waiter = CheckedContinuation<ObjectLocation, Error>

    let store: ObjectStore
    /// The nodes' object servers, for the driver's own pulls (and told to every worker).
    let peers: ObjectPeers
    private let lock = NSLock()
    private let eventLoop: EventLoop
    private let window = 1024
    private var queue: [PendingTask] = []
    private var blocked: [UInt64: (task: PendingTask, missing: Int)] = [:]
    private var dependents: [UInt64: [UInt64]] = [:]
    private var workers: [ObjectIdentifier: Worker] = [:]
    private var objects: [UInt64: Result<ObjectLocation, RuntimeError>] = [:]
    private var references: [UInt64: Int] = [:]
    private var waiters: [UInt64: [UInt64: Waiter]] = [:]
    private var nextID: UInt64 = 0
    private var nextWaiter: UInt64 = 0
    private var dispatchScheduled = false
    /// Waiting tasks submitted since the last dispatch whose inputs run on one worker.
    private var forwardCandidates: [UInt64] = []
    /// The finished tasks whose results live only on another node, to run again if it dies.
    private var lineage: [UInt64: PendingTask] = [:]
    /// Nodes that died (a late worker of one is turned away).
    private var lostNodes: Set<Int> = []
    /// The stores of the other nodes (the head's own is `store`).
    private var nodeStores: [Int: any NodeStore] = [:]
    private var offers: [Resources]

    /// A head whose workers will offer `offers` (a task no offer covers is refused), and
    /// whose node's store `store` serves other nodes through `peers`' node 0 entry.
    init(eventLoop: EventLoop, store: ObjectStore, peers: ObjectPeers, offers: [Resources]) {
        self.eventLoop = eventLoop
        self.store = store
        self.peers = peers
        self.offers = offers
    }

    /// How many workers are connected and ready.
    var workerCount: Int { lock.withLock { workers.count } }

    /// How many objects are held (by refs or waiting tasks) and how many tasks are not done.
    var counts: (objects: Int, unfinishedTasks: Int) {
        lock.withLock {
            (references.count, queue.count + blocked.count + workers.values.map(\.running.count).reduce(0, +))
        }
    }

    /// What the connected workers offer in all, and what running tasks hold of it.
    var resources: (offered: Resources, used: Resources) {
        lock.withLock {
            workers.values.reduce((Resources.none, Resources.none)) {
                ($0.0.adding($1.capacity), $0.1.adding($1.used))
            }
        }
    }

    /// A fresh object id (for `put`, whose bytes are written before the head learns of them).
    func reserveID() -> UInt64 {
        lock.withLock {
            nextID += 1
            return nextID
        }
    }

    /// Records object `id` at `location`, held by one reference.
    func put(_ id: UInt64, at location: ObjectLocation) {
        lock.withLock {
            objects[id] = .success(location)
            references[id] = 1
        }
        stored(id, at: location)
    }

    /// Records object `id` as failed with `error`, held by one reference (a remote driver's
    /// submission the head refused: its `get` throws the reason).
    func recordFailure(_ id: UInt64, _ error: RuntimeError) {
        let waiting = lock.withLock { () -> [Waiter] in
            objects[id] = .failure(error)
            references[id] = references[id] ?? 1
            return Array((waiters.removeValue(forKey: id) ?? [:]).values)
        }
        for waiter in waiting { waiter.resume(throwing: error) }
    }

    /// Queues `submission` (its id is fresh: from `reserveID`, or a remote driver's own
    /// range); its result is held by one reference. Its `timeout` cancels it when it has
    /// not finished by then.
    /// - Throws: `RuntimeError.unboundReference` for an argument this head does not hold,
    ///   `.infeasible` for a demand no worker offers.
    func submit(_ submission: SubmittedTask) throws {
        let (id, name, demand) = (submission.id, submission.name, submission.demand)
        let offers = lock.withLock { self.offers }
        guard demand.isNone || offers.contains(where: demand.fits) else {
            throw RuntimeError.infeasible(task: name, demand: demand, offers: offers)
        }
        let inputs = Array(Set(submission.arguments)).sorted()
        let (schedule, failedInput) = try lock.withLock { () -> (Bool, PendingTask?) in
            if let unknown = inputs.first(where: { references[$0] == nil }) {
                throw RuntimeError.unboundReference(unknown)
            }
            guard references[id] == nil else {
                throw RuntimeError.malformedTask(name: name, reason: "id \(id) is taken")
            }
            let task = PendingTask(submission, inputs: inputs)
            references[task.id] = 1
            for input in inputs { references[input]! += 1 }  // Invariant: checked above.
            if inputs.contains(where: { if case .failure = objects[$0] { true } else { false } }) {
                return (false, task)
            }
            let missing = inputs.filter { objects[$0] == nil }
            if missing.isEmpty {
                queue.append(task)
            } else {
                blocked[task.id] = (task, missing.count)
                for input in missing { dependents[input, default: []].append(task.id) }
            }
            let forwardable = !missing.isEmpty && demand.isNone && forwardingTarget(task) != nil
            if forwardable { forwardCandidates.append(task.id) }
            guard missing.isEmpty || forwardable else { return (false, nil) }
            defer { dispatchScheduled = true }
            return (!dispatchScheduled, nil)
        }
        if let failedInput { finish([(failedInput, inputFailure(failedInput))]) }
        if let timeout = submission.timeout {
            eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                self.cancel(id, reason: .timedOut(task: name, after: timeout))
            }
        }
        if schedule { eventLoop.execute { self.dispatch() } }
    }

    /// Where object `id` is, once it exists.
    /// - Throws: the error of the task that was to make it, `RuntimeError.unboundReference`
    ///   for an id no reference holds, or `CancellationError` when the calling task is
    ///   cancelled first.
    func location(of id: UInt64) async throws -> ObjectLocation {
        let token = lock.withLock {
            nextWaiter += 1
            return nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let ready = lock.withLock { () -> Result<ObjectLocation, RuntimeError>? in
                    if let outcome = objects[id] { return outcome }
                    // Neither made nor held: an id this head never gave out, or freed.
                    guard references[id] != nil else { return .failure(.unboundReference(id)) }
                    waiters[id, default: [:]][token] = continuation
                    return nil
                }
                if let ready {
                    if case .success(.stored) = ready { store.used(id) }
                    continuation.resume(with: ready)
                } else if Task.isCancelled {
                    abandonWait(for: id, token: token)
                }
            }
        } onCancel: {
            abandonWait(for: id, token: token)
        }
    }

    /// One reference to object `id` is gone; the object goes with the last.
    func release(_ id: UInt64) {
        free(lock.withLock { dropReference(id) })
    }

    /// Stops task `id`: a queued or waiting task ends at once, a running one is asked to
    /// stop. Either way its ref then fails with `reason`.
    func cancel(_ id: UInt64, reason: RuntimeError) {
        enum Found {
            case waiting(PendingTask)
            case running(Channel)
        }
        let found = lock.withLock { () -> Found? in
            if let index = queue.firstIndex(where: { $0.id == id }) { return .waiting(queue.remove(at: index)) }
            if let entry = blocked.removeValue(forKey: id) { return .waiting(entry.task) }
            for (key, worker) in workers where worker.running[id] != nil {
                workers[key]!.running[id]!.cancellation = reason  // Invariant: found just now.
                return .running(worker.channel)
            }
            return nil
        }
        switch found {
        case .waiting(let task): finish([(task, .failure(reason))])
        case .running(let channel): channel.writeAndFlush(TaskMessage.cancel([id]).frame, promise: nil)
        case nil: break
        }
    }

    /// A worker of node `node` offering `capacity` said it is ready on `channel`; it is
    /// told where the nodes' object servers are.
    func workerJoined(_ channel: Channel, node: Int, capacity: Resources) {
        let lost = lock.withLock { () -> Bool in
            guard !lostNodes.contains(node) else { return true }
            workers[ObjectIdentifier(channel)] = Worker(channel: channel, node: node, capacity: capacity)
            if node != store.directory.node, !offers.contains(capacity) { offers.append(capacity) }
            return false
        }
        guard !lost else { return channel.close(promise: nil) }
        channel.writeAndFlush(TaskMessage.nodes(peers.table).frame, promise: nil)
        dispatch()
        if let (victim, ids) = lock.withLock({ stealRequest(for: ObjectIdentifier(channel)) }) {
            victim.writeAndFlush(TaskMessage.steal(ids).frame, promise: nil)
        }
    }

    /// Node `node`'s object server listens at `address` and its store is kept by `store`;
    /// every worker is told where the server is.
    func nodeJoined(_ node: Int, objects address: String, store: any NodeStore) {
        lock.withLock { nodeStores[node] = store }
        peers.table[node] = address
        broadcastNodes()
    }

    /// Node `node` is gone (its agent disconnected or went silent): the objects only it held
    /// are made again by their tasks where those tasks' inputs still exist, and fail with
    /// `objectLost` otherwise; its workers are dropped (their running tasks go back to the
    /// queue as for any lost worker) and their connections closed.
    func nodeLost(_ node: Int) {
        peers.table[node] = nil
        broadcastNodes()
        var inputFailed: [PendingTask] = []
        let (failed, channels) = lock.withLock {
            () -> ([(PendingTask, Result<ObjectLocation, RuntimeError>)], [Channel]) in
            lostNodes.insert(node)
            nodeStores[node] = nil
            let lost = objects.compactMap { id, outcome -> UInt64? in
                if case .success(.stored(_, node)) = outcome { return id }
                return nil
            }
            var rebuild: [PendingTask] = []
            for id in lost.sorted() {
                if let task = lineage.removeValue(forKey: id), task.arguments.allSatisfy({ references[$0] != nil }) {
                    objects[id] = nil
                    for input in task.arguments { references[input]! += 1 }  // Invariant: checked above.
                    var again = task
                    again.attempts = 0
                    rebuild.append(again)
                } else {
                    objects[id] = .failure(
                        .objectLost(id, reason: "node \(node) died holding it and the inputs of its task are freed"))
                }
            }
            for task in rebuild where !place(task) { inputFailed.append(task) }
            // Its workers are gone with it, whether or not their connections have closed yet.
            let keys = workers.filter { $0.value.node == node }.map(\.key)
            let channels = keys.compactMap { workers[$0]?.channel }
            let failed = keys.flatMap { removeWorker($0, inputFailed: &inputFailed) }
            return (failed, channels)
        }
        for channel in channels { channel.close(promise: nil) }
        conclude(failed, inputFailed: inputFailed)
    }

    private func broadcastNodes() {
        let frame = TaskMessage.nodes(peers.table).frame
        for channel in lock.withLock({ workers.values.map(\.channel) }) { channel.writeAndFlush(frame, promise: nil) }
    }

    /// Deletes freed objects from every node's store (each deletes what it holds: objects
    /// made there and copies pulled there).
    private func free(_ ids: [UInt64]) {
        guard !ids.isEmpty else { return }
        store.removed(ids)
        for other in lock.withLock({ Array(nodeStores.values) }) { other.removed(ids) }
    }

    /// Tells the store of the node holding a new stored object (called outside the lock).
    private func stored(_ id: UInt64, at location: ObjectLocation) {
        guard case .stored(let size, let node) = location else { return }
        if node == store.directory.node {
            store.added(id, size: size)
        } else {
            lock.withLock { nodeStores[node] }?.added(id, size: size)
        }
    }

    /// A worker's connection closed: its running tasks go back to the queue (or fail
    /// after their last attempt).
    func workerLost(_ channel: Channel) {
        var inputFailed: [PendingTask] = []
        let failed = lock.withLock { removeWorker(ObjectIdentifier(channel), inputFailed: &inputFailed) }
        conclude(failed, inputFailed: inputFailed)
    }

    /// Records how `finished` tasks ended, then fails `inputFailed` (tasks one of whose
    /// inputs failed: after the failures they depend on, in order), then hands out work.
    private func conclude(
        _ finished: [(PendingTask, Result<ObjectLocation, RuntimeError>)], inputFailed: [PendingTask]
    ) {
        finish(finished)
        for task in inputFailed { finish([(task, inputFailure(task))]) }
        dispatch()
    }

    /// Forgets worker `key`: its running tasks go back to wait or queue, first in line, or
    /// are returned as failed when out of attempts (or cancelled); those with a failed
    /// input are added to `inputFailed`. Called under the lock.
    private func removeWorker(_ key: ObjectIdentifier, inputFailed: inout [PendingTask])
        -> [(PendingTask, Result<ObjectLocation, RuntimeError>)]
    {
        guard let worker = workers.removeValue(forKey: key) else { return [] }
        var failed: [(PendingTask, Result<ObjectLocation, RuntimeError>)] = []
        let waiting = queue
        queue.removeAll()
        for var task in worker.running.values.sorted(by: { $0.id < $1.id }) {
            task.attempts += 1
            if let cancellation = task.cancellation {
                failed.append((task, .failure(cancellation)))
            } else if task.attempts >= task.maxAttempts {
                failed.append((task, .failure(.workerLost(task: task.name, attempts: task.attempts))))
            } else {
                // First in line, in submission order; a task that was held for an input
                // made on that worker waits for it again (its input fails with it, if so).
                if !place(task) { inputFailed.append(task) }
            }
        }
        queue += waiting
        return failed
    }

    /// Outcomes from a worker.
    func received(_ results: [(id: UInt64, outcome: TaskOutcome)], from channel: Channel) {
        var finished: [(PendingTask, Result<ObjectLocation, RuntimeError>)] = []
        var inputFailed: [PendingTask] = []
        var unreachable: [PendingTask] = []
        let steal = lock.withLock { () -> (Channel, [UInt64])? in
            let key = ObjectIdentifier(channel)
            workers[key]?.stealing = false
            for result in results {
                guard let task = workers[key]?.running.removeValue(forKey: result.id) else { continue }
                workers[key]!.used = workers[key]!.used.adding(task.demand, sign: -1)  // Invariant: found just now.
                switch result.outcome {
                case .value(let location): finished.append((task, .success(location)))
                case .failed(let reason): finished.append((task, .failure(.taskFailed(reason))))
                case .cancelled: finished.append((task, .failure(task.cancellation ?? .cancelled(task: task.name))))
                case .inputFailed: inputFailed.append(task)
                case .notHeld, .returned: if !place(task) { inputFailed.append(task) }
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
            return stealRequest(for: key)
        }
        if let (victim, ids) = steal { victim.writeAndFlush(TaskMessage.steal(ids).frame, promise: nil) }
        for (task, outcome) in finished {
            if case .success(let location) = outcome { stored(task.id, at: location) }
        }
        if !unreachable.isEmpty {
            // The node holding an input died; by the time this runs the head knows, and the
            // input is being rebuilt (or has failed).
            let again = unreachable
            eventLoop.scheduleTask(in: .milliseconds(200)) { self.placeAgain(again) }
        }
        conclude(finished, inputFailed: inputFailed)
    }

    /// Work stealing: when worker `key` has nothing to do and nothing is queued, the worker
    /// with the most tasks in flight is asked to hand back the newer half of those that
    /// could run on `key` (it returns the ones that have not started; the head places them
    /// again). Called under the lock.
    private func stealRequest(for key: ObjectIdentifier) -> (Channel, [UInt64])? {
        guard queue.isEmpty, let thief = workers[key], thief.running.isEmpty else { return nil }
        var victim: ObjectIdentifier?
        var most = 1
        for (other, worker) in workers where other != key && !worker.stealing && worker.running.count > most {
            (victim, most) = (other, worker.running.count)
        }
        guard let victim else { return nil }
        let free = thief.capacity.adding(thief.used, sign: -1)
        let ids = workers[victim]!.running.values  // Invariant: chosen from the keys.
            .filter { $0.demand.isNone || $0.demand.fits(in: free) }.map(\.id).sorted(by: >).prefix(most / 2)
        guard !ids.isEmpty else { return nil }
        workers[victim]!.stealing = true
        return (workers[victim]!.channel, Array(ids))
    }

    private func placeAgain(_ tasks: [PendingTask]) {
        conclude([], inputFailed: lock.withLock { tasks.filter { !place($0) } })
    }

    /// Puts `task` back to wait for its inputs, or in the queue when they all exist (called
    /// under the lock); false when one of them failed.
    private func place(_ task: PendingTask) -> Bool {
        var missing: [UInt64] = []
        for input in task.arguments {
            switch objects[input] {
            case .failure?: return false
            case .success?: continue
            case nil: missing.append(input)
            }
        }
        if missing.isEmpty {
            queue.append(task)
        } else {
            blocked[task.id] = (task, missing.count)
            for input in missing { dependents[input, default: []].append(task.id) }
        }
        return true
    }

    /// Records how tasks ended, wakes whoever waits for their objects, releases their
    /// inputs, and moves tasks whose inputs are now all there to the queue (or fails them
    /// when an input failed, and so on down the graph).
    private func finish(_ outcomes: [(PendingTask, Result<ObjectLocation, RuntimeError>)]) {
        var wake: [(Waiter, Result<ObjectLocation, RuntimeError>)] = []
        var freed: [UInt64] = []
        lock.withLock {
            var work = outcomes
            while let (task, outcome) = work.popLast() {
                if references[task.id] == nil {
                    if case .success(.stored) = outcome { freed.append(task.id) }  // no one holds it any more
                } else {
                    objects[task.id] = outcome
                    if case .success(.stored(_, let node)) = outcome, node != store.directory.node {
                        lineage[task.id] = task
                    }
                }
                for waiter in (waiters.removeValue(forKey: task.id) ?? [:]).values { wake.append((waiter, outcome)) }
                for input in task.arguments { freed += dropReference(input) }
                for waitingID in dependents.removeValue(forKey: task.id) ?? [] {
                    guard var entry = blocked[waitingID] else { continue }  // cancelled meanwhile
                    if case .failure = outcome {
                        blocked[waitingID] = nil
                        work.append((entry.task, inputFailure(entry.task, lockHeld: true)))
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
            }
        }
        free(freed)
        for (waiter, outcome) in wake { waiter.resume(with: outcome) }
    }

    /// The failure of a task one of whose inputs failed (the first, by id).
    private func inputFailure(_ task: PendingTask, lockHeld: Bool = false) -> Result<ObjectLocation, RuntimeError> {
        let failure = { () -> Result<ObjectLocation, RuntimeError> in
            for input in task.arguments {
                if case .failure(let error) = self.objects[input] {
                    return .failure(.dependencyFailed(task: task.name, input: input, reason: "\(error)"))
                }
            }
            return .failure(.dependencyFailed(task: task.name, input: 0, reason: "unknown"))
        }
        return lockHeld ? failure() : lock.withLock(failure)
    }

    /// Drops one reference to `id` (called under the lock); returns the stored objects
    /// that are no longer held, whose files the caller removes outside the lock.
    private func dropReference(_ id: UInt64) -> [UInt64] {
        guard let count = references[id] else { return [] }
        guard count <= 1 else {
            references[id] = count - 1
            return []
        }
        references[id] = nil
        lineage[id] = nil
        guard let outcome = objects.removeValue(forKey: id) else { return [] }  // its task will free it
        if case .success(.stored) = outcome { return [id] }
        return []
    }

    private func abandonWait(for id: UInt64, token: UInt64) {
        let waiter = lock.withLock { waiters[id]?.removeValue(forKey: token) }
        waiter?.resume(throwing: CancellationError())
    }

    /// The bytes of `task`'s stored inputs on each node (called under the lock).
    private func storedBytesByNode(_ task: PendingTask) -> [Int: Int] {
        var bytes: [Int: Int] = [:]
        for input in task.arguments {
            if case .success(.stored(let size, let node)) = objects[input] { bytes[node, default: 0] += size }
        }
        return bytes
    }

    /// Hands queued tasks to workers, a batch frame each: each task, in queue order, to the
    /// least busy worker (counting the MiB of input it would pull from other nodes as tasks)
    /// whose free resources cover its demand and that has fewer than `window` tasks in
    /// flight. Tasks that fit nowhere yet wait in the queue (in order)
    /// until a worker frees what they need: a pull from the head's queue, so an idle worker
    /// takes the next task instead of work piling up behind a busy one.
    private func dispatch() {
        let batches = lock.withLock { () -> [(Channel, [TaskAssignment])] in
            dispatchScheduled = false
            var batches: [ObjectIdentifier: [TaskAssignment]] = [:]
            var waiting: [PendingTask] = []
            let keys = Array(workers.keys)
            for task in queue {
                let stored = storedBytesByNode(task)
                var chosen: ObjectIdentifier?
                var cheapest = Int.max
                for key in keys {
                    let worker = workers[key]!  // Invariant: keys of this dictionary.
                    guard worker.running.count < window,
                        task.demand.isNone || task.demand.fits(in: worker.capacity.adding(worker.used, sign: -1))
                    else { continue }
                    // A MiB to pull from another node weighs as much as a task in flight.
                    let pulled = stored.reduce(0) { $0 + ($1.key == worker.node ? 0 : $1.value) }
                    let cost = worker.running.count + pulled >> 20
                    guard cost < cheapest else { continue }
                    (chosen, cheapest) = (key, cost)
                }
                guard let key = chosen else {
                    waiting.append(task)
                    continue
                }
                workers[key]!.running[task.id] = task  // Invariant: chosen from the keys.
                workers[key]!.used = workers[key]!.used.adding(task.demand)
                batches[key, default: []].append(assignment(task))
            }
            queue = waiting
            forward(into: &batches)
            return batches.compactMap { key, batch in workers[key].map { ($0.channel, batch) } }
        }
        for (channel, batch) in batches {
            channel.writeAndFlush(TaskMessage.tasks(batch).frame, promise: nil)
        }
    }

    /// Forwards waiting tasks whose missing inputs are all being made on one worker to that
    /// worker, which holds them and starts each the moment its inputs are made (no round trip
    /// through the head per link of a chain). Looks at the tasks placed in this dispatch, the
    /// waiting tasks submitted since the last one, and what waits for either, down the graph.
    /// Called under the lock.
    private func forward(into batches: inout [ObjectIdentifier: [TaskAssignment]]) {
        var placed = batches.values.flatMap { $0.map(\.id) } + forwardCandidates
        forwardCandidates.removeAll()
        while let id = placed.popLast() {
            for waitingID in (blocked[id] != nil ? [id] : []) + (dependents[id] ?? []) {
                // Invariant: forwardingTarget returns a key of `workers`.
                guard let entry = blocked[waitingID], entry.task.demand.isNone,
                    let (key, missing) = forwardingTarget(entry.task), workers[key]!.running.count < window
                else { continue }
                blocked[waitingID] = nil
                for input in missing { dependents[input]?.removeAll { $0 == waitingID } }
                workers[key]!.running[waitingID] = entry.task
                var forwarded = assignment(entry.task)
                forwarded.awaiting = missing
                batches[key, default: []].append(forwarded)
                placed.append(waitingID)
            }
        }
    }

    /// The worker running every missing input of `task`, and those inputs; nil when they
    /// are not all on one worker (or none is missing). Called under the lock.
    private func forwardingTarget(_ task: PendingTask) -> (ObjectIdentifier, [UInt64])? {
        let missing = task.arguments.filter { objects[$0] == nil }
        guard let first = missing.first,
            let key = workers.first(where: { $0.value.running[first] != nil })?.key,
            missing.allSatisfy({ workers[key]!.running[$0] != nil })  // Invariant: found just now.
        else { return nil }
        return (key, missing)
    }

    /// What a worker needs to run `task` (called under the lock: its inputs all exist).
    private func assignment(_ task: PendingTask) -> TaskAssignment {
        var arguments: [UInt64: ObjectLocation] = [:]
        for input in task.arguments {
            if case .success(let location) = objects[input] { arguments[input] = location }
        }
        return TaskAssignment(id: task.id, name: task.name, bytes: task.submission.bytes, arguments: arguments)
    }
}
