import FlockComm
import Foundation
import NIOCore

/// A worker's side of its connection to the head: runs each task it is handed as its own
/// Swift task (so it can be cancelled alone), inside a `TaskEnvironment` that lets the
/// task read its input objects, and sends outcomes back coalesced: whatever finished
/// before the event loop got round to sending goes in one frame. It also hosts the
/// worker's actors (`FlockActorSystem`) and carries their calls and replies.
final class WorkerConnectionHandler: ChannelInboundHandler, @unchecked Sendable {  // state guarded by `lock`
    typealias InboundIn = Frame
    private let registry: TaskRegistry
    private let directory: ObjectDirectory
    private let peers: ObjectPeers
    private let lock = NSLock()
    private var running: [UInt64: Running] = [:]
    private var nextSerial: UInt64 = 0
    private var outbox: [(id: UInt64, outcome: TaskOutcome)] = []
    private var held = HeldTasks()
    /// The connection to the head, once active (the actor system exists before it).
    private var head: Channel?
    /// The worker's actor system; it sends on `head`. Set once, at the end of `init` (its
    /// outlet calls this handler, which must exist first).
    private var system: FlockActorSystem!

    init(registry: TaskRegistry, directory: ObjectDirectory, peers: ObjectPeers) {
        self.registry = registry
        self.directory = directory
        self.peers = peers
        system = FlockActorSystem { [weak self] message in self?.sendToHead(message.frame) }
    }

    /// Writes an actor call or reply of the worker's actor system to the head.
    private func sendToHead(_ frame: Frame) { lock.withLock { head }?.writeAndFlush(frame, promise: nil) }

    func channelActive(context: ChannelHandlerContext) {
        lock.withLock { head = context.channel }
        let channel = context.channel
        let parent = getppid()
        context.eventLoop.scheduleRepeatedTask(initialDelay: Self.heartbeat, delay: Self.heartbeat) { task in
            guard channel.isActive else { return task.cancel() }
            // The process that started this worker (a driver, daemon or node agent) is gone:
            // so is this worker's node, and its tasks are run elsewhere.
            if getppid() != parent { exit(0) }
            channel.writeAndFlush(TaskMessage.heartbeat.frame, promise: nil)
        }
        context.fireChannelActive()
    }

    /// How often the worker tells the head it is alive.
    static let heartbeat = TimeAmount.milliseconds(500)

    func channelInactive(context: ChannelHandlerContext) {
        system.failAllCalls("the connection to the head closed")
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let peer = context.remoteAddress.map { "\($0)" } ?? "head"
        let frame = unwrapInboundIn(data)
        do {
            if ActorMessage.carries(frame) {
                try received(try ActorMessage(frame, peer: peer), on: context.channel, peer: peer)
                return
            }
            switch try TaskMessage(frame, peer: peer) {
            case .tasks(let batch): for task in batch { take(task, replyingOn: context.channel) }
            case .cancel(let ids): cancel(ids, replyingOn: context.channel)
            case .nodes(let table): peers.table = table
            case .steal(let ids): giveBack(ids, replyingOn: context.channel)
            case .workerReady, .results, .heartbeat:
                throw CommError.badFrame(peer: peer, reason: "the head sent a worker's message")
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    private func received(_ message: ActorMessage, on channel: Channel, peer: String) throws {
        switch message {
        case .spawn(let actor, let type):
            var error: String?
            do { try system.host(actor, type: type, registry: registry) } catch let failure { error = "\(failure)" }
            channel.writeAndFlush(ActorMessage.spawned(actor: actor, error: error).frame, promise: nil)
        case .call(let id, let actor, let target, let generics, let arguments):
            system.received(call: id, actor: actor, target: target, generics: generics, arguments: arguments)
        case .reply(let id, let succeeded, let bytes):
            system.received(reply: id, succeeded: succeeded, bytes: bytes)
        case .stop(let actor):
            system.resignID(FlockActorID(value: actor))
        case .spawned:
            throw CommError.badFrame(peer: peer, reason: "the head sent a worker's message")
        }
    }

    /// Starts a task, or holds it when it awaits inputs being made here; one that awaits an
    /// input not running here (it finished before the task arrived) goes back to the head.
    private func take(_ assignment: TaskAssignment, replyingOn channel: Channel) {
        guard !assignment.awaiting.isEmpty else { return start(assignment, replyingOn: channel) }
        let holding = lock.withLock { () -> Bool in
            guard assignment.awaiting.allSatisfy({ running[$0] != nil || held.contains($0) }) else { return false }
            held.hold(assignment)
            return true
        }
        if !holding { report(assignment.id, .notHeld, on: channel) }
    }

    private func cancel(_ ids: [UInt64], replyingOn channel: Channel) {
        var stopped: [UInt64] = []
        let handles = lock.withLock { () -> [Task<Void, Never>] in
            ids.compactMap { id in
                if held.remove(id) { stopped.append(id) }
                return running[id]?.handle
            }
        }
        for handle in handles { handle.cancel() }
        for id in stopped { report(id, .cancelled, on: channel) }
    }

    private func start(_ assignment: TaskAssignment, replyingOn channel: Channel) {
        let (registry, directory, peers) = (registry, directory, peers)
        let environment = TaskEnvironment(
            arguments: assignment.arguments, directory: directory, peers: peers, actorSystem: system)
        // Registered before it can begin: the task checks in under the same lock.
        lock.withLock {
            nextSerial += 1
            let serial = nextSerial
            let handle = Task {
                guard self.begin(assignment.id, serial: serial) else { return }  // handed back meanwhile
                let outcome: TaskOutcome
                do {
                    // Inputs held by other nodes are pulled here first (as Ray's workers do).
                    for (id, location) in assignment.arguments {
                        try await peers.makeLocal(id, at: location, in: directory)
                    }
                } catch {
                    return self.report(assignment.id, .inputUnreachable("\(error)"), on: channel)
                }
                do {
                    let location = try await TaskEnvironment.$current.withValue(environment) {
                        try await registry.run(
                            name: assignment.name, bytes: assignment.bytes, id: assignment.id, directory: directory)
                    }
                    outcome = .value(location)
                } catch {
                    outcome = Task.isCancelled ? .cancelled : .failed("\(error)")
                }
                self.report(assignment.id, outcome, on: channel)
            }
            running[assignment.id] = Running(handle: handle, serial: serial)
        }
    }

    /// Marks task `id` (its run number `serial`) as started; false when it was handed back.
    private func begin(_ id: UInt64, serial: UInt64) -> Bool {
        lock.withLock {
            guard running[id]?.serial == serial else { return false }
            running[id]!.started = true  // Invariant: found just now.
            return true
        }
    }

    /// Hands back to the head those of `ids` that have not started (and that no held task
    /// awaits here), for an idle worker to run.
    private func giveBack(_ ids: [UInt64], replyingOn channel: Channel) {
        let returned = lock.withLock { () -> [(UInt64, Task<Void, Never>)] in
            ids.compactMap { id in
                guard let entry = running[id], !entry.started, !held.isAwaited(id) else { return nil }
                running[id] = nil
                return (id, entry.handle)
            }
        }
        for (id, handle) in returned {
            handle.cancel()
            report(id, .returned, on: channel)
        }
    }

    /// Queues task `id`'s outcome for the head, and starts (or fails) the held tasks that
    /// awaited it.
    private func report(_ id: UInt64, _ outcome: TaskOutcome, on channel: Channel) {
        let (first, ready, failed) = lock.withLock { () -> (Bool, [TaskAssignment], [UInt64]) in
            running[id] = nil
            outbox.append((id, outcome))
            let (ready, failed) = held.finished(id, outcome)
            return (outbox.count == 1, ready, failed)
        }
        for assignment in ready { start(assignment, replyingOn: channel) }
        // Held tasks whose input did not run here go back to the head too (it runs the input
        // elsewhere); those whose input failed fail.
        for waiting in failed { report(waiting, outcome.placesAgain ? .notHeld : .inputFailed, on: channel) }
        guard first else { return }  // a send is already on its way and will take this one
        channel.eventLoop.execute {
            let results = self.lock.withLock { () -> [(id: UInt64, outcome: TaskOutcome)] in
                defer { self.outbox.removeAll(keepingCapacity: true) }
                return self.outbox
            }
            channel.writeAndFlush(TaskMessage.results(results).frame, promise: nil)
        }
    }
}

/// A task started on this worker: its Swift task, its run number (a task handed back and
/// then handed here again runs under a new one), and whether it has begun.
private struct Running {
    let handle: Task<Void, Never>
    let serial: UInt64
    var started = false
}
