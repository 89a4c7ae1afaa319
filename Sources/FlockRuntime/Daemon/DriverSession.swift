import FlockComm
import Foundation
import Logging
import NIOCore

/// The daemon's side of one connection: a job's driver (which registers a job first), a
/// node agent (which registers its node first), or `flock status` / `flock stop`. A job
/// is a `LocalCluster` running the driver's binary, plus the workers every node starts for
/// it; the driver's messages become calls on it, and answers go back on the connection.
/// The job ends (workers stopped, objects deleted) when the connection closes; a node
/// is lost when its connection closes.
final class DriverSession: ChannelInboundHandler, @unchecked Sendable {  // `job` guarded by `lock`
    typealias InboundIn = Frame
    private let daemon: ClusterDaemon
    private let lock = NSLock()
    private var job: (id: UInt64, cluster: LocalCluster)?
    private var node: Int?
    private var starting = false
    private static let logger = Logger(label: "flock.daemon")

    init(daemon: ClusterDaemon) { self.daemon = daemon }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let peer = context.remoteAddress.map { "\($0)" } ?? "driver"
        let frame = unwrapInboundIn(data)
        let channel = context.channel
        do {
            if ActorMessage.carries(frame) {
                guard let job = lock.withLock({ job?.cluster }) else {
                    throw CommError.badFrame(peer: peer, reason: "an actor call before the job started")
                }
                try job.router.received(try ActorMessage(frame, peer: peer), from: channel, peer: peer)
            } else if ControlMessage.carries(frame) {
                try handle(try ControlMessage(frame, peer: peer), on: channel, peer: peer)
            } else if NodeMessage.carries(frame) {
                try handle(try NodeMessage(frame, peer: peer), on: channel, peer: peer)
            } else {
                try handle(try DriverMessage(frame, peer: peer), on: channel, peer: peer)
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case IdleStateHandler.IdleStateEvent.read = event, let node = lock.withLock({ node }) else {
            return context.fireUserInboundEventTriggered(event)
        }
        Self.logger.warning("node \(node) sent no heartbeat in \(ClusterDaemon.nodeTimeout); dropping it")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let (job, node) = lock.withLock { () -> ((id: UInt64, cluster: LocalCluster)?, Int?) in
            defer { self.job = nil }
            return (self.job, self.node)
        }
        if let job, daemon.driverLeft(job.id) {
            Task { await job.cluster.shutdown() }
        }
        if let node {
            Self.logger.warning("node \(node) disconnected; its workers and objects are lost")
            daemon.nodeLost(node)
        }
        context.fireChannelInactive()
    }

    /// `flock status` or `flock stop`.
    private func handle(_ message: ControlMessage, on channel: Channel, peer: String) throws {
        switch message {
        case .status:
            let daemon = self.daemon
            Task { channel.writeAndFlush(ControlMessage.statusReply(await daemon.status()).frame, promise: nil) }
        case .stop:
            Self.logger.info("stopping on request from \(peer)")
            channel.writeAndFlush(ControlMessage.stopping.frame).whenComplete { [daemon] _ in daemon.stop() }
        case .statusReply, .stopping:
            throw CommError.badFrame(peer: peer, reason: "a client sent the daemon's answer \(message)")
        }
    }

    /// A node agent's message: registering, heartbeats, its workers started.
    private func handle(_ message: NodeMessage, on channel: Channel, peer: String) throws {
        switch message {
        case .registerNode(let workers):
            let host = channel.remoteAddress?.ipAddress ?? "127.0.0.1"
            let node = daemon.nodeJoined(channel, host: host, workers: workers)
            lock.withLock { self.node = node }
            // Heartbeats from here on; silence closes the connection (userInboundEventTriggered).
            try channel.pipeline.syncOperations.addHandler(
                IdleStateHandler(readTimeout: ClusterDaemon.nodeTimeout), position: .first)
            Self.logger.info("node \(node) joined from \(host) with \(workers) workers per job")
            channel.writeAndFlush(NodeMessage.nodeRegistered(node: node).frame, promise: nil)
            daemon.startRunningJobs(on: node)
        case .heartbeat:
            break
        case .workersStarted(let job, let port, let error):
            guard let node = lock.withLock({ node }) else {
                throw CommError.badFrame(peer: peer, reason: "a node's message before the node registered")
            }
            if let port {
                daemon.nodeStartedWorkers(node, job: job, objectsPort: port)
            } else {
                Self.logger.warning("node \(node) could not start workers for job \(job): \(error ?? "?")")
            }
        case .nodeRegistered, .startWorkers, .storeAdded, .storeRemoved, .stopWorkers:
            throw CommError.badFrame(peer: peer, reason: "a node agent sent the daemon's message \(message)")
        }
    }

    private func handle(_ message: DriverMessage, on channel: Channel, peer: String) throws {
        switch message {
        case .registerJob(let executable, let arguments, let environment, let workers):
            try start(executable, arguments, environment, workers ?? daemon.workersPerJob, on: channel, peer: peer)
        default:
            guard let job = lock.withLock({ job?.cluster }) else {
                throw CommError.badFrame(peer: peer, reason: "a job message before the job started")
            }
            serve(message, for: job, on: channel, peer: peer)
        }
    }

    private func start(
        _ executable: String, _ arguments: [String], _ environment: [String: String], _ workers: Int,
        on channel: Channel, peer: String
    ) throws {
        try lock.withLock {
            guard !starting else { throw CommError.badFrame(peer: peer, reason: "a second job on one connection") }
            starting = true
        }
        let daemon = self.daemon
        Task {
            do {
                let job = try await LocalCluster.start(
                    workers: max(1, workers), executable: executable, arguments: arguments, environment: environment,
                    resources: [], objectStoreBytes: daemon.objectStoreBytes, heartbeatTimeout: .seconds(5),
                    timeout: .seconds(60), host: daemon.host
                ) { [daemon] in daemon.detachedRouter(for: $0) }
                let id = daemon.started(
                    job, executable: executable, arguments: arguments, environment: environment, driver: peer,
                    on: channel)
                let open = lock.withLock { () -> Bool in
                    guard channel.isActive else { return false }
                    self.job = (id, job)
                    return true
                }
                guard open else {
                    daemon.driverLeft(id)
                    return await job.shutdown()
                }
                let remote = daemon.startWorkersOnNodes(for: id)
                let deadline = ContinuousClock.now + .seconds(30)
                while job.head.workerCount < max(1, workers) + remote, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                Self.logger.info(
                    "job \(id) of \(executable) from \(peer): \(job.head.workerCount) workers (\(remote) on other nodes)"
                )
                reply(
                    .jobReady(
                        memory: job.directory.memory, spill: job.directory.spill, token: job.token,
                        nodes: job.peers.table),
                    on: channel)
            } catch {
                reply(.jobFailed("\(error)"), on: channel)
            }
        }
    }

    private func serve(_ message: DriverMessage, for job: LocalCluster, on channel: Channel, peer: String) {
        switch message {
        case .submit(let tasks):
            for task in tasks {
                do {
                    try job.submit(task)
                } catch {
                    job.head.recordFailure(task.id, error as? RuntimeError ?? .taskFailed("\(error)"))
                }
            }
        case .put(let id, let location): job.put(id, at: location)
        case .release(let ids): for id in ids { job.release(id) }
        case .cancel(let id, let reason): job.cancel(id, reason: reason)
        case .locate(let request, let id):
            Task {
                do {
                    reply(.located(request: request, location: try await job.location(of: id), error: nil), on: channel)
                } catch {
                    reply(.located(request: request, location: nil, error: Self.runtimeError(error)), on: channel)
                }
            }
        case .spawn(let request, let type, let name, let maxRestarts, let detached):
            let (daemon, id) = (self.daemon, lock.withLock { self.job?.id ?? 0 })
            Task {
                do {
                    let actor =
                        detached
                        ? try await daemon.spawnDetached(
                            for: id, on: job.router, type: type, name: name, maxRestarts: maxRestarts)
                        : try await job.spawn(type: type, name: name, maxRestarts: maxRestarts, detached: false)
                    reply(.spawned(request: request, actor: actor.value, error: nil), on: channel)
                } catch {
                    reply(.spawned(request: request, actor: nil, error: Self.runtimeError(error)), on: channel)
                }
            }
        case .kill(let request, let actor):
            var error: RuntimeError?
            do {
                if daemon.detachedRouter(for: actor) != nil {
                    try daemon.killDetached(actor)
                } else {
                    try job.router.kill(actor)
                }
            } catch let failure {
                error = Self.runtimeError(failure)
            }
            reply(.killed(request: request, error: error), on: channel)
        case .lookup(let request, let name):
            let actor = job.router.lookup(name)?.value ?? daemon.detachedActor(named: name)
            reply(.lookedUp(request: request, actor: actor), on: channel)
        case .statistics(let request):
            Task {
                do {
                    let statistics = try await job.statistics()
                    reply(.statisticsReply(request: request, statistics: statistics, error: nil), on: channel)
                } catch {
                    reply(
                        .statisticsReply(request: request, statistics: nil, error: Self.runtimeError(error)),
                        on: channel)
                }
            }
        default:
            Self.logger.warning("ignoring \(message) from \(peer): the daemon does not take it")
        }
    }

    private func reply(_ message: DriverMessage, on channel: Channel) {
        channel.writeAndFlush(message.frame, promise: nil)
    }

    private static func runtimeError(_ error: Error) -> RuntimeError {
        error as? RuntimeError ?? .taskFailed("\(error)")
    }
}
