import FlockComm
import Foundation
import Logging
import NIOCore
import NIOPosix

/// A machine's agent in a cluster (`flock start --address HEAD:PORT`): it registers the
/// machine with the head's daemon as a node and, for every job started from then on,
/// starts `workers` workers of the job's binary here (supervised: one that exits is
/// replaced) with this node's own object store, served to the other nodes by an
/// `ObjectServer`; when the job ends it stops them and deletes the store. The workers
/// connect to the job's head on the daemon's machine. The agent exits when its
/// connection to the daemon closes (`flock stop`, or the head machine is gone), and its
/// workers follow it (they exit when their parent does).
///
/// What the user writes: `flock start --head` on one machine, `flock start --address
/// HEAD:PORT` (with `FLOCK_TOKEN` set to the cluster's token) on the others; the job's
/// binary must exist at the same path on every machine.
public final class NodeAgent: @unchecked Sendable {  // state guarded by `lock`
    private struct Job {
        let workers: LocalWorkers
        let server: Channel
        let store: ObjectStore
    }

    private let daemonHost: String
    private let listenHost: String
    private let workersPerJob: Int
    private let lock = NSLock()
    private var node = 0
    private var jobs: [UInt64: Job] = [:]
    private static let logger = Logger(label: "flock.node")

    private init(daemonHost: String, listenHost: String, workersPerJob: Int) {
        self.daemonHost = daemonHost
        self.listenHost = listenHost
        self.workersPerJob = workersPerJob
    }

    /// Joins the cluster whose daemon listens at `address` ("host:port") and serves it
    /// until the daemon goes away; `joined` is told the node's number once registered.
    /// Object servers listen on `host` (reachable by the other machines).
    /// - Throws: `RuntimeError.clusterUnreachable` when no daemon answers, or
    ///   `CommError.handshakeFailed` for a wrong token.
    public static func run(
        address: String, token: String, workers: Int, host: String, joined: @Sendable (Int) throws -> Void
    ) async throws {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw RuntimeError.clusterUnreachable("\"\(address)\" is not host:port")
        }
        let daemonHost = String(address[..<colon])
        let agent = NodeAgent(daemonHost: daemonHost, listenHost: host, workersPerJob: max(1, workers))
        let registered = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Int.self)
        let channel: Channel
        do {
            channel = try await FrameChannel.connect(
                host: daemonHost, port: port, token: token, identity: "node agent \(getpid())"
            ) { [NodeAgentHandler(agent: agent, registered: registered)] }
        } catch let error as CommError {
            registered.fail(error)
            throw error
        } catch {
            registered.fail(error)
            throw RuntimeError.clusterUnreachable("no daemon answers at \(address): \(error)")
        }
        channel.writeAndFlush(NodeMessage.registerNode(workers: agent.workersPerJob).frame, promise: nil)
        let node = try await registered.futureResult.get()
        channel.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(500)) { task in
            guard channel.isActive else { return task.cancel() }
            channel.writeAndFlush(NodeMessage.heartbeat.frame, promise: nil)
        }
        try joined(node)
        try await channel.closeFuture.get()
        Self.logger.info("the daemon at \(address) is gone; stopping")
        for job in agent.lock.withLock({ Array(agent.jobs.keys) }) { await agent.stopWorkers(job) }
    }

    /// The daemon gave this node its number.
    fileprivate func registered(as node: Int) { lock.withLock { self.node = node } }

    /// Starts this node's workers for job `id` and answers the daemon on `channel`.
    fileprivate func startWorkers(
        job id: UInt64, headPort: Int, token: String, executable: String, arguments: [String],
        environment: [String: String], objectStoreBytes: Int?, answering channel: Channel
    ) async {
        let node = lock.withLock { self.node }
        do {
            ObjectDirectory.removeLeftovers()
            let directory = try ObjectDirectory.create(node: node)
            let server: Channel
            do {
                server = try await ObjectServer.listen(host: listenHost, token: token, directory: directory)
            } catch {
                directory.removeAll()
                throw error
            }
            let workers = LocalWorkers(
                executable: executable, arguments: arguments,
                environment: environment.merging(
                    LocalWorkers.environment(head: "\(daemonHost):\(headPort)", token: token, directory: directory)
                ) { $1 })
            let store = ObjectStore(
                directory: directory, memoryLimit: objectStoreBytes ?? ObjectStore.defaultLimit(directory))
            lock.withLock { jobs[id] = Job(workers: workers, server: server, store: store) }
            let offer = Resources.share(of: workersPerJob).json
            for index in 0..<workersPerJob {
                // Numbered apart from the head node's workers (the head names workers by index).
                try workers.start(node * 1000 + index, environment: ["FLOCK_RUNTIME_RESOURCES": offer])
            }
            Self.logger.info("job \(id): \(workersPerJob) workers of \(executable)")
            let port = server.localAddress?.port ?? 0
            channel.writeAndFlush(
                NodeMessage.workersStarted(job: id, objectsPort: port, error: nil).frame, promise: nil)
        } catch {
            await stopWorkers(id)
            channel.writeAndFlush(
                NodeMessage.workersStarted(job: id, objectsPort: nil, error: "\(error)").frame, promise: nil)
        }
    }

    /// Stops job `id`'s workers and object server, and deletes its objects.
    fileprivate func stopWorkers(_ id: UInt64) async {
        guard let job = lock.withLock({ jobs.removeValue(forKey: id) }) else { return }
        job.workers.stop()
        try? await job.server.close()
        job.store.settle()
        job.store.directory.removeAll()
    }

    /// Job `id`'s store on this node (nil once the job ended).
    fileprivate func store(of id: UInt64) -> ObjectStore? { lock.withLock { jobs[id]?.store } }
}

/// The agent's side of its connection to the daemon.
private final class NodeAgentHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Frame
    private let agent: NodeAgent
    private let registered: EventLoopPromise<Int>

    init(agent: NodeAgent, registered: EventLoopPromise<Int>) {
        self.agent = agent
        self.registered = registered
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let peer = context.remoteAddress.map { "\($0)" } ?? "daemon"
        let channel = context.channel
        let agent = self.agent
        do {
            switch try NodeMessage(unwrapInboundIn(data), peer: peer) {
            case .nodeRegistered(let node):
                agent.registered(as: node)  // before any job's start, which comes next
                registered.succeed(node)
            case .startWorkers(
                let job, let headPort, let token, let executable, let arguments, let environment, let storeBytes):
                Task {
                    await agent.startWorkers(
                        job: job, headPort: headPort, token: token, executable: executable, arguments: arguments,
                        environment: environment, objectStoreBytes: storeBytes, answering: channel)
                }
            case .storeAdded(let job, let id, let size):
                agent.store(of: job)?.added(id, size: size)
            case .storeRemoved(let job, let ids):
                agent.store(of: job)?.removed(ids)
            case .stopWorkers(let job):
                Task { await agent.stopWorkers(job) }
            case let other:
                throw CommError.badFrame(peer: peer, reason: "the daemon sent a node agent \(other)")
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        registered.fail(RuntimeError.clusterUnreachable("the daemon closed the connection"))
        context.fireChannelInactive()
    }
}
