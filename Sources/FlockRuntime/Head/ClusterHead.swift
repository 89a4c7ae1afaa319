import FlockComm
import Foundation
import NIOCore
import Synchronization

/// The head of a cluster: a thin shell around `HeadState` (the task graph, the objects
/// and their references, the workers and placement) that turns the network's events into
/// the state's events and carries out the actions it returns: frames to workers, timers,
/// stores to update, waiters to resume.
///
/// One mutex guards the state with the shell's own maps (worker ids to channels, waiter
/// tokens to continuations). Every event runs the state under it, resolves the actions to
/// channels and continuations, and acts after unlocking, in order. A lock, not an actor:
/// the events come from NIO event loops and a driver's synchronous `submit`, and an actor
/// hop would add a task switch to each of tens of thousands of tiny tasks per second
/// (README: "Locks and actors").
final class ClusterHead: Sendable {
    private typealias Waiter = CheckedContinuation<ObjectLocation, Error>

    /// The state with what only the shell knows.
    private struct Guarded {
        var state: HeadState
        var channels: [WorkerID: Channel] = [:]
        var workerIDs: [ObjectIdentifier: WorkerID] = [:]
        var nextWorker = 0
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
        /// The stores of the other nodes (the head's own is `store`).
        var nodeStores: [Int: any NodeStore] = [:]
    }

    /// An action resolved under the lock, to carry out after it.
    private enum Effect {
        case send(Channel, TaskMessage)
        case close(Channel)
        case resume([Waiter], Result<ObjectLocation, RuntimeError>)
        case free([UInt64], others: [any NodeStore])
        case stored(UInt64, size: Int, into: (any NodeStore)?)
        case later(HeadAction)
    }

    let store: ObjectStore
    /// The nodes' object servers, for the driver's own pulls (and told to every worker).
    let peers: ObjectPeers
    private let eventLoop: EventLoop
    private let guarded: Mutex<Guarded>

    /// A head whose workers will offer `offers` (a task no offer covers is refused), and
    /// whose node's store `store` serves other nodes through `peers`' node 0 entry.
    init(eventLoop: EventLoop, store: ObjectStore, peers: ObjectPeers, offers: [Resources]) {
        self.eventLoop = eventLoop
        self.store = store
        self.peers = peers
        guarded = Mutex(Guarded(state: HeadState(localNode: store.directory.node, offers: offers)))
    }

    /// How many workers are connected and ready.
    var workerCount: Int { guarded.withLock { $0.state.placement.workers.count } }

    /// How many objects are held (by refs or waiting tasks) and how many tasks are not done.
    var counts: (objects: Int, unfinishedTasks: Int) {
        guarded.withLock { ($0.state.objects.count, $0.state.unfinishedTasks) }
    }

    /// What the connected workers offer in all, and what running tasks hold of it.
    var resources: (offered: Resources, used: Resources) {
        guarded.withLock {
            $0.state.placement.workers.values.reduce((Resources.none, Resources.none)) {
                ($0.0.adding($1.capacity), $0.1.adding($1.used))
            }
        }
    }

    /// A fresh object id (for `put`, whose bytes are written before the head learns of them).
    func reserveID() -> UInt64 { guarded.withLock { $0.state.reserveID() } }

    /// Records object `id` at `location`, held by one reference.
    func put(_ id: UInt64, at location: ObjectLocation) { perform { $0.put(id, at: location) } }

    /// Records object `id` as failed with `error`, held by one reference (a remote driver's
    /// submission the head refused: its `get` throws the reason).
    func recordFailure(_ id: UInt64, _ error: RuntimeError) { perform { $0.recordFailure(id, error) } }

    /// Queues `submission` (see `HeadState.submit`); its `timeout` cancels it when it has
    /// not finished by then.
    /// - Throws: `RuntimeError.unboundReference` for an argument this head does not hold,
    ///   `.infeasible` for a demand no worker offers.
    func submit(_ submission: SubmittedTask) throws { try perform { try $0.submit(submission) } }

    /// Where object `id` is, once it exists.
    /// - Throws: the error of the task that was to make it, `RuntimeError.unboundReference`
    ///   for an id no reference holds, or `CancellationError` when the calling task is
    ///   cancelled first.
    func location(of id: UInt64) async throws -> ObjectLocation {
        let token = guarded.withLock {
            $0.nextWaiter += 1
            return $0.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let ready = guarded.withLock { guarded -> Result<ObjectLocation, RuntimeError>? in
                    if let outcome = guarded.state.wait(for: id, token: token) { return outcome }
                    guarded.waiters[token] = continuation
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
    func release(_ id: UInt64) { perform { $0.release(id) } }

    /// Stops task `id`: a queued or waiting task ends at once, a running one is asked to
    /// stop. Either way its ref then fails with `reason`.
    func cancel(_ id: UInt64, reason: RuntimeError) { perform { $0.cancel(id, reason: reason) } }

    /// A worker of node `node` offering `capacity` said it is ready on `channel`; it is
    /// told where the nodes' object servers are, then given work.
    func workerJoined(_ channel: Channel, node: Int, capacity: Resources) {
        let table = peers.table
        performGuarded { guarded in
            let id = WorkerID(raw: guarded.nextWorker)
            guarded.nextWorker += 1
            guarded.channels[id] = channel
            guarded.workerIDs[ObjectIdentifier(channel)] = id
            let actions = guarded.state.workerJoined(id, node: node, capacity: capacity)
            return actions == [.close(id)] ? actions : [.send(id, .nodes(table))] + actions
        }
    }

    /// A worker's connection closed: its running tasks go back to the queue (or fail
    /// after their last attempt).
    func workerLost(_ channel: Channel) {
        performGuarded { guarded in
            guard let id = guarded.workerIDs.removeValue(forKey: ObjectIdentifier(channel)) else { return [] }
            defer { guarded.channels[id] = nil }
            return guarded.state.workerLost(id)
        }
    }

    /// Outcomes from a worker.
    func received(_ results: [(id: UInt64, outcome: TaskOutcome)], from channel: Channel) {
        performGuarded { guarded in
            guard let id = guarded.workerIDs[ObjectIdentifier(channel)] else { return [] }
            return guarded.state.received(results, from: id)
        }
    }

    /// Node `node`'s object server listens at `address` and its store is kept by `store`;
    /// every worker is told where the server is.
    func nodeJoined(_ node: Int, objects address: String, store: any NodeStore) {
        guarded.withLock { $0.nodeStores[node] = store }
        peers.table[node] = address
        broadcastNodes()
    }

    /// Node `node` is gone (its agent disconnected or went silent): see `HeadState.nodeLost`.
    func nodeLost(_ node: Int) {
        peers.table[node] = nil
        broadcastNodes()
        performGuarded { guarded in
            guarded.nodeStores[node] = nil
            return guarded.state.nodeLost(node)
        }
    }

    private func broadcastNodes() {
        let frame = TaskMessage.nodes(peers.table).frame
        for channel in guarded.withLock({ Array($0.channels.values) }) { channel.writeAndFlush(frame, promise: nil) }
    }

    private func dispatch() { perform { $0.dispatch() } }

    private func abandonWait(for id: UInt64, token: UInt64) {
        let waiter = guarded.withLock { guarded -> Waiter? in
            guard guarded.state.abandonWait(for: id, token: token) else { return nil }
            return guarded.waiters.removeValue(forKey: token)
        }
        waiter?.resume(throwing: CancellationError())
    }

    /// Runs `event` on the state under the lock, then carries out its actions in order.
    private func perform(_ event: (inout HeadState) throws -> [HeadAction]) rethrows {
        try performGuarded { guarded in try event(&guarded.state) }
    }

    /// Runs `event` on the guarded state and maps under the lock, then carries out the
    /// actions it returns in order.
    private func performGuarded(_ event: (inout Guarded) throws -> [HeadAction]) rethrows {
        let effects = try guarded.withLock { guarded -> [Effect] in
            try event(&guarded).compactMap { resolve($0, in: &guarded) }
        }
        for effect in effects { carryOut(effect) }
    }

    /// What `action` means in channels, continuations and stores (under the lock).
    private func resolve(_ action: HeadAction, in guarded: inout Guarded) -> Effect? {
        switch action {
        case .send(let id, let message): return guarded.channels[id].map { .send($0, message) }
        case .close(let id): return guarded.channels[id].map { .close($0) }
        case .resume(let tokens, let outcome):
            return .resume(tokens.compactMap { guarded.waiters.removeValue(forKey: $0) }, outcome)
        case .free(let ids): return .free(ids, others: Array(guarded.nodeStores.values))
        case .stored(let id, let size, let node):
            return .stored(id, size: size, into: node == store.directory.node ? nil : guarded.nodeStores[node])
        case .dispatchSoon, .cancelAfter, .retryAfter: return .later(action)
        }
    }

    private func carryOut(_ effect: Effect) {
        switch effect {
        case .send(let channel, let message): channel.writeAndFlush(message.frame, promise: nil)
        case .close(let channel): channel.close(promise: nil)
        case .resume(let waiters, let outcome): for waiter in waiters { waiter.resume(with: outcome) }
        case .free(let ids, let others):
            store.removed(ids)
            for other in others { other.removed(ids) }
        case .stored(let id, let size, let other):
            if let other { other.added(id, size: size) } else { store.added(id, size: size) }
        case .later(.dispatchSoon): eventLoop.execute { self.dispatch() }
        case .later(.cancelAfter(let timeout, let id, let name)):
            eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                self.cancel(id, reason: .timedOut(task: name, after: timeout))
            }
        case .later(.retryAfter(let delay, let tasks)):
            eventLoop.scheduleTask(in: TimeAmount(delay)) { self.perform { $0.placeAgain(tasks) } }
        case .later: break
        }
    }
}
