@testable import FlockRuntime

/// A violated invariant of the head simulation, with the events that led to it.
struct SimulationFailure: Error, CustomStringConvertible {
    let message: String
    let recent: [String]

    var description: String { "\(message)\nlast events:\n  " + recent.joined(separator: "\n  ") }
}

/// Drives a `HeadState` with a seeded random interleaving of what its shell would feed it
/// (submissions, puts, releases, cancels, waits, worker outcomes, worker and node loss,
/// steals, timers) with simulated workers and stores, and checks the invariants after each
/// step and at the end:
/// - a waiter is resumed exactly once, and every task's waiter is resumed by the end;
/// - a task runs on one live worker at a time and never on a dead one; a task that made its
///   object runs again only when the node holding that object died (lineage);
/// - the head's view of what each worker runs matches the worker's;
/// - a stored object is freed once, never while the driver holds it, and by the end every
///   object is freed and every count is back to zero.
struct HeadSimulation {
    private(set) var rng: SplitMix
    private var state = HeadState(localNode: 0, offers: [Resources(cpus: 2)], window: 4)
    private var workers: [WorkerID: SimulatedWorker] = [:]
    private var nextWorker = 0
    private var liveNodes: Set<Int> = [0]
    private var lostNodes: Set<Int> = []
    private var nextNode = 1
    /// The driver's refs (one reference each) and its waiters (token -> object id).
    private var held: Set<UInt64> = []
    private var waiting: [UInt64: UInt64] = [:]
    private var resolved: Set<UInt64> = []
    private var nextToken: UInt64 = 0
    /// Submitted tasks and, for those that made a stored object, its node.
    private var submitted: Set<UInt64> = []
    private var madeOn: [UInt64: Int] = [:]
    /// Stored objects and their nodes.
    private var alive: [UInt64: Int] = [:]
    private var timers: [HeadAction] = []
    private var recent: [String] = []
    /// How often each interesting thing happened, so the test can show it was exercised.
    private(set) var coverage: [String: Int] = [:]

    init(seed: UInt64) { rng = SplitMix(seed: seed) }

    /// Runs `steps` random events, then drains: no more faults, every task finishes, the
    /// driver drops its refs, and nothing may be left.
    mutating func run(steps: Int) throws {
        try join(node: 0)
        try join(node: 0)
        for _ in 0..<steps {
            try step()
            try checkAgreement()
        }
        try drain()
    }

    // MARK: Events

    private mutating func step() throws {
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<22: try submit()
        case 22..<27: try put()
        case 27..<33: try release()
        case 33..<36: try cancel()
        case 36..<42: try waitOrAbandon()
        case 42..<70: try runTask()
        case 70..<82: try flush()
        case 82..<90: try fireTimer()
        case 90..<94: try loseWorker()
        case 94..<97: try join(node: liveNodes.randomElement(using: &rng)!)  // Invariant: node 0 lives.
        case 97..<99: try joinNode()
        default: try loseNode()
        }
    }

    private mutating func submit() throws {
        let inputs = (0..<Int.random(in: 0...3, using: &rng)).compactMap { _ in held.randomElement(using: &rng) }
        let id = state.reserveID()
        let task = SubmittedTask(
            id: id, name: "t\(id)", bytes: [], arguments: inputs,
            demand: rng.chance(0.2) ? Resources(cpus: 1) : .none, maxAttempts: Int.random(in: 1...3, using: &rng),
            timeout: rng.chance(0.05) ? .seconds(1) : nil)
        note("submit \(id) inputs \(inputs.sorted()) demand \(task.demand.cpus) attempts \(task.maxAttempts)")
        try apply(try state.submit(task))
        held.insert(id)
        submitted.insert(id)
        try wait(for: id)
        // A taken id, an unknown input and an impossible demand are refused and change nothing.
        if rng.chance(0.05) {
            let before = (state.objects.count, state.unfinishedTasks)
            let taken = SubmittedTask(
                id: id, name: "dup", bytes: [], arguments: [], demand: .none, maxAttempts: 1, timeout: nil)
            let unknown = SubmittedTask(
                id: state.reserveID(), name: "u", bytes: [], arguments: [1 << 60], demand: .none, maxAttempts: 1,
                timeout: nil)
            let huge = SubmittedTask(
                id: state.reserveID(), name: "h", bytes: [], arguments: [], demand: Resources(cpus: 99),
                maxAttempts: 1, timeout: nil)
            for bad in [taken, unknown, huge] where (try? state.submit(bad)) != nil {
                throw failure("submission \(bad.name) was accepted")
            }
            guard before == (state.objects.count, state.unfinishedTasks) else {
                throw failure("a refusal changed state")
            }
        }
    }

    private mutating func put() throws {
        let id = state.reserveID()
        if rng.chance(0.1) {
            note("recordFailure \(id)")
            try apply(state.recordFailure(id, .taskFailed("refused")))
        } else {
            let location: ObjectLocation =
                rng.chance(0.5) ? .inline([1]) : .stored(size: Int.random(in: 1...(3 << 20), using: &rng), node: 0)
            note("put \(id) \(location)")
            try apply(state.put(id, at: location))
        }
        held.insert(id)
    }

    private mutating func release() throws {
        let awaited = Set(waiting.values)
        guard let id = held.filter({ !awaited.contains($0) }).randomElement(using: &rng) else { return }
        note("release \(id)")
        held.remove(id)
        try apply(state.release(id))
    }

    private mutating func cancel() throws {
        guard let id = submitted.randomElement(using: &rng) else { return }
        note("cancel \(id)")
        try apply(state.cancel(id, reason: .cancelled(task: "t\(id)")))
    }

    private mutating func waitOrAbandon() throws {
        if rng.chance(0.5), let (token, id) = waiting.randomElement(using: &rng) {
            note("abandon wait \(token) for \(id)")
            if state.abandonWait(for: id, token: token) { try resolve(token) }
        } else if let id = held.randomElement(using: &rng) {
            try wait(for: id)
        }
    }

    private mutating func wait(for id: UInt64) throws {
        nextToken += 1
        if let outcome = state.wait(for: id, token: nextToken) {
            if case .failure(let error) = outcome { coverage["waiter got \(error.kind)", default: 0] += 1 }
            resolved.insert(nextToken)
        } else {
            waiting[nextToken] = id
        }
    }

    /// A live worker runs a ready task: it makes an object (inline or stored on its node),
    /// fails, stops when cancelled, or cannot pull an input from a lost node.
    private mutating func runTask() throws {
        let candidates = workers.filter { !$0.value.closed && !$0.value.ready.isEmpty }.map(\.key).sorted()
        guard let key = candidates.randomElement(using: &rng) else { return }
        let worker = workers[key]!  // Invariant: chosen from the keys.
        let id = worker.ready.randomElement(using: &rng)!  // Invariant: not empty.
        let run = worker.runs[id]!  // Invariant: ready ids are runs.
        let outcome: TaskOutcome
        if run.cancelRequested, rng.chance(0.7) {
            outcome = .cancelled
        } else if run.assignment.arguments.values.contains(where: { lostNodes.contains($0.node ?? 0) }) {
            outcome = .inputUnreachable("its node died")
        } else if rng.chance(0.1) {
            outcome = .failed("boom")
        } else if rng.chance(0.6) {
            outcome = .value(.inline([2]))
        } else {
            outcome = .value(.stored(size: Int.random(in: 1...(3 << 20), using: &rng), node: worker.node))
        }
        note("\(key) ends \(id): \(outcome)")
        workers[key]!.end(id, outcome)
    }

    private mutating func flush(_ key: WorkerID? = nil) throws {
        let keys = workers.filter { !$0.value.outbox.isEmpty }.map(\.key).sorted()
        guard let key = key ?? keys.randomElement(using: &rng) else { return }
        let results = workers[key]!.flush()  // Invariant: a key.
        note("\(key) reports \(results.map { "\($0.id): \($0.outcome)" })")
        for (_, outcome) in results { coverage[outcome.kind, default: 0] += 1 }
        for (id, outcome) in results {
            if case .value(let location) = outcome, state.placement.workers[key]?.running[id] != nil {
                madeOn[id] = location.node ?? 0  // an inline object is never lost
            }
        }
        try apply(state.received(results, from: key))
    }

    /// Fires a random pending timer (`first`: the oldest).
    private mutating func fireTimer(first: Bool = false) throws {
        guard !timers.isEmpty else { return }
        let timer = timers.remove(at: first ? 0 : Int.random(in: 0..<timers.count, using: &rng))
        note("timer \(timer)")
        switch timer {
        case .dispatchSoon: try apply(state.dispatch())
        case .cancelAfter(let after, let id, let name):
            try apply(state.cancel(id, reason: .timedOut(task: name, after: after)))
        case .retryAfter(_, let tasks): try apply(state.placeAgain(tasks))
        default: throw failure("\(timer) is no timer")
        }
    }

    private mutating func join(node: Int) throws {
        let key = WorkerID(raw: nextWorker)
        nextWorker += 1
        workers[key] = SimulatedWorker(node: node)
        note("\(key) joins on node \(node)")
        try apply(state.workerJoined(key, node: node, capacity: Resources(cpus: 2)))
    }

    private mutating func joinNode() throws {
        guard liveNodes.count < 4 else { return }
        liveNodes.insert(nextNode)
        nextNode += 1
        try join(node: nextNode - 1)
    }

    /// A worker's connection closes: it was killed, or the head closed it.
    private mutating func loseWorker(_ chosen: WorkerID? = nil) throws {
        guard let key = chosen ?? workers.keys.sorted().randomElement(using: &rng) else { return }
        workers[key] = nil
        note("\(key) lost")
        try apply(state.workerLost(key))
    }

    private mutating func loseNode() throws {
        guard let node = liveNodes.subtracting([0]).randomElement(using: &rng) else { return }
        note("node \(node) lost")
        liveNodes.remove(node)
        lostNodes.insert(node)
        alive = alive.filter { $0.value != node }  // its store is gone with it
        try apply(state.nodeLost(node))
    }

    // MARK: Actions

    private mutating func apply(_ actions: [HeadAction]) throws {
        for action in actions {
            switch action {
            case .send(let key, let message):
                guard let worker = workers[key], !worker.closed else { throw failure("sent \(message) to dead \(key)") }
                try deliver(message, to: key)
            case .close(let key):
                guard workers[key] != nil else { throw failure("closed unknown \(key)") }
                workers[key]!.closed = true  // Invariant: checked just now.
            case .resume(let tokens, let outcome):
                if case .failure(let error) = outcome { coverage["waiter got \(error.kind)", default: 0] += 1 }
                for token in tokens { try resolve(token) }
            case .free(let ids):
                for id in ids {
                    guard alive.removeValue(forKey: id) != nil else {
                        throw failure("freed \(id), which is not stored")
                    }
                    guard !held.contains(id) else { throw failure("freed \(id) while the driver holds it") }
                }
            case .stored(let id, _, let node):
                guard alive[id] == nil else { throw failure("stored \(id) twice") }
                alive[id] = node
            case .dispatchSoon, .cancelAfter, .retryAfter: timers.append(action)
            }
        }
    }

    private mutating func deliver(_ message: TaskMessage, to key: WorkerID) throws {
        switch message {
        case .tasks(let batch):
            for assignment in batch {
                let id = assignment.id
                if workers.contains(where: { $0.value.owned.contains(id) && !$0.value.closed }) {
                    throw failure("task \(id) handed to \(key) while it runs elsewhere")
                }
                if let node = madeOn[id], !lostNodes.contains(node) {
                    throw failure("task \(id) runs again though its object on node \(node) is not lost")
                }
                let task = state.placement.workers[key]?.running[id]
                for input in task?.arguments ?? [] where assignment.arguments[input] == nil {
                    guard assignment.awaiting.contains(input) else {
                        throw failure("task \(id) handed without input \(input)'s location")
                    }
                }
                if !assignment.awaiting.isEmpty { coverage["forwarded", default: 0] += 1 }
                if madeOn[id] != nil { coverage["rebuilt", default: 0] += 1 }
                workers[key]!.take(assignment)  // Invariant: checked by the caller.
            }
        case .cancel(let ids): workers[key]!.cancel(ids)
        case .steal(let ids):
            coverage["steal asked", default: 0] += 1
            let started = Set(ids.filter { _ in rng.chance(0.4) })
            workers[key]!.giveBack(ids) { started.contains($0) }
        case .nodes: break
        default: throw failure("the head sent \(message)")
        }
    }

    private mutating func resolve(_ token: UInt64) throws {
        guard waiting.removeValue(forKey: token) != nil, resolved.insert(token).inserted else {
            throw failure("waiter \(token) resumed twice")
        }
    }

    // MARK: Invariants

    /// The head's view of each worker's tasks is the worker's own.
    private func checkAgreement() throws {
        for (key, slot) in state.placement.workers {
            guard let worker = workers[key], !worker.closed else { throw failure("the head keeps dead \(key)") }
            guard Set(slot.running.keys) == worker.owned else {
                throw failure("\(key): head thinks \(slot.running.keys.sorted()), worker has \(worker.owned.sorted())")
            }
        }
    }

    /// No more faults: the closed workers' connections close, a worker joins, and tasks run
    /// and timers fire until nothing is left; then the driver drops its refs.
    private mutating func drain() throws {
        note("drain")
        for key in workers.filter({ $0.value.closed }).map(\.key).sorted() { try loseWorker(key) }
        try join(node: 0)
        for _ in 0..<100_000 {
            if let key = workers.filter({ !$0.value.ready.isEmpty }).map(\.key).min() {
                let id = workers[key]!.ready[0]  // Invariant: not empty.
                let cancelled = workers[key]!.runs[id]!.cancelRequested  // Invariant: a ready id.
                let unreachable = workers[key]!.runs[id]!.assignment.arguments.values.contains {
                    lostNodes.contains($0.node ?? 0)
                }
                let outcome: TaskOutcome =
                    cancelled ? .cancelled : unreachable ? .inputUnreachable("its node died") : .value(.inline([3]))
                note("\(key) ends \(id): \(outcome)")
                workers[key]!.end(id, outcome)
            } else if let key = workers.filter({ !$0.value.outbox.isEmpty }).map(\.key).min() {
                try flush(key)
            } else if !timers.isEmpty {
                try fireTimer(first: true)
            } else {
                break
            }
            try checkAgreement()
        }
        guard state.unfinishedTasks == 0 else {
            throw failure("\(state.unfinishedTasks) tasks never finished (queue \(state.graph.queue.map(\.id)))")
        }
        if let (token, id) = waiting.first { throw failure("waiter \(token) for \(id) never resumed") }
        for id in held.sorted() {
            held.remove(id)
            try apply(state.release(id))
        }
        guard state.objects.count == 0, state.objects.waiterCount == 0, state.objects.lineage.isEmpty else {
            throw failure(
                "objects leak: references \(state.objects.references), \(state.objects.waiterCount) waiters, "
                    + "lineage of \(state.objects.lineage.keys.sorted())")
        }
        guard alive.isEmpty else { throw failure("stored objects never freed: \(alive.keys.sorted())") }
    }

    private mutating func note(_ event: String) {
        recent.append(event)
        if recent.count > 40 { recent.removeFirst() }
    }

    private func failure(_ message: String) -> SimulationFailure { SimulationFailure(message: message, recent: recent) }
}

extension TaskOutcome {
    /// The case's name, for coverage counts.
    fileprivate var kind: String { "\(self)".prefix { $0 != "(" }.description }
}

extension RuntimeError {
    /// The case's name, for coverage counts.
    fileprivate var kind: String { String(describing: Mirror(reflecting: self).children.first?.label ?? "\(self)") }
}
