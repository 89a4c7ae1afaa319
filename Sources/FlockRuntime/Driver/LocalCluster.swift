import FlockComm
import Foundation
import NIOCore
import NIOPosix

/// A cluster on this machine whose head runs in this process: the head (`ClusterHead`,
/// `ActorRouter`, `ObjectStore`), a listener for its workers, and the supervised worker
/// processes (`LocalWorkers`), which run `executable` with `arguments`. `Cluster.local`
/// makes one for the driver's own binary; a `flock start` daemon makes one per connected
/// driver, for that driver's binary.
final class LocalCluster: ClusterBackend {
    let head: ClusterHead
    let router: ActorRouter
    /// The cluster's token (its workers', and other nodes' object servers').
    let token: String
    private let server: Channel
    private let objectServer: Channel
    private let workers: LocalWorkers

    private init(
        head: ClusterHead, router: ActorRouter, token: String, server: Channel, objectServer: Channel,
        workers: LocalWorkers
    ) {
        self.head = head
        self.router = router
        self.token = token
        self.server = server
        self.objectServer = objectServer
        self.workers = workers
    }

    /// Starts `count` workers and waits (up to `timeout`) until all have connected. The
    /// head and the store's object server listen on `host` (workers of other nodes
    /// connect there). Calls to actors this cluster does not host go to the router
    /// `elsewhere` names (a daemon's detached actors).
    /// - Throws: `RuntimeError.startTimeout` when some did not connect in time.
    static func start(
        workers count: Int, executable: String, arguments: [String], environment: [String: String],
        resources: [Resources], objectStoreBytes: Int?, heartbeatTimeout: Duration, timeout: Duration,
        host: String = "127.0.0.1", elsewhere: @escaping @Sendable (UInt64) -> ActorRouter? = { _ in nil }
    ) async throws -> LocalCluster {
        ObjectDirectory.removeLeftovers()
        let offers = (0..<count).map { $0 < resources.count ? resources[$0] : Resources.share(of: count) }
        let token = UUID().uuidString
        let directory = try ObjectDirectory.create()
        let store = ObjectStore(
            directory: directory, memoryLimit: objectStoreBytes ?? ObjectStore.defaultLimit(directory))
        let connectHost = host == "0.0.0.0" ? "127.0.0.1" : host
        let peers = ObjectPeers(token: token, defaultHost: connectHost)
        let head = ClusterHead(
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(), store: store, peers: peers, offers: offers)
        let router = ActorRouter(idSource: { head.reserveID() }, elsewhere: elsewhere)
        // Made before the head listens, so the listener can kill a hung worker; each
        // learns the head's address when it starts.
        let workers = LocalWorkers(
            executable: executable, arguments: arguments,
            environment: environment.merging(LocalWorkers.environment(head: nil, token: token, directory: directory)) {
                $1
            })
        let objectServer: Channel
        do {
            objectServer = try await ObjectServer.listen(host: host, token: token, directory: directory)
        } catch {
            directory.removeAll()
            throw error
        }
        peers.table[directory.node] = "\(host):\(objectServer.localAddress?.port ?? 0)"
        let server: Channel
        do {
            server = try await FrameChannel.listen(host: host, port: 0, token: token) {
                [
                    IdleStateHandler(readTimeout: TimeAmount(heartbeatTimeout)),
                    HeadConnectionHandler(head: head, router: router) { workers.kill($0) },
                ]
            }
        } catch {
            objectServer.close(promise: nil)
            directory.removeAll()
            throw error
        }
        let cluster = LocalCluster(
            head: head, router: router, token: token, server: server, objectServer: objectServer, workers: workers)
        do {
            for index in 0..<count {
                try workers.start(
                    index,
                    environment: [
                        "FLOCK_RUNTIME_HEAD": "\(connectHost):\(server.localAddress?.port ?? 0)",
                        "FLOCK_RUNTIME_RESOURCES": offers[index].json,
                    ])
            }
            let deadline = ContinuousClock.now + timeout
            while head.workerCount < count {
                guard ContinuousClock.now < deadline else {
                    throw RuntimeError.startTimeout(expected: count, connected: head.workerCount)
                }
                try await Task.sleep(for: .milliseconds(2))
            }
        } catch {
            await cluster.shutdown()
            throw error
        }
        return cluster
    }

    var directory: ObjectDirectory { head.store.directory }
    var peers: ObjectPeers { head.peers }
    /// The port the head listens on for workers.
    var headPort: Int { server.localAddress?.port ?? 0 }
    var actorSystem: FlockActorSystem { router.driver }
    func newObjectID() -> UInt64 { head.reserveID() }

    func submit(_ task: SubmittedTask) throws { try head.submit(task) }

    func put(_ id: UInt64, at location: ObjectLocation) { head.put(id, at: location) }
    func location(of id: UInt64) async throws -> ObjectLocation { try await head.location(of: id) }
    func release(_ id: UInt64) { head.release(id) }
    func cancel(_ id: UInt64, reason: RuntimeError) { head.cancel(id, reason: reason) }

    func spawn(type: String, name: String?, maxRestarts: Int, detached: Bool) async throws -> FlockActorID {
        guard !detached else {
            throw RuntimeError.actorCallFailed(
                "a detached actor outlives its driver, so it needs a long-running cluster: "
                    + "`flock start --head` and Cluster.connect()")
        }
        return try await router.spawn(type: type, name: name, maxRestarts: maxRestarts)
    }

    func lookup(_ name: String) async throws -> FlockActorID? { router.lookup(name) }

    func kill(_ id: FlockActorID) async throws { try router.kill(id.value) }

    func statistics() async throws -> ClusterStatistics {
        let (objects, tasks) = head.counts
        head.store.settle()
        let store = head.store.current
        let resources = head.resources
        return ClusterStatistics(
            workers: head.workerCount, workerProcessIDs: workers.processIDs, workerRestarts: workers.restarts,
            objects: objects, unfinishedTasks: tasks, storeMemoryBytes: store.memoryBytes,
            spilledObjects: store.spilled, spilledBytes: store.spilledBytes, storeMemoryLimit: head.store.memoryLimit,
            resources: resources.offered, resourcesInUse: resources.used)
    }

    func shutdown() async {
        workers.stop()
        try? await server.close()
        try? await objectServer.close()
        head.store.settle()
        head.store.directory.removeAll()
    }
}

extension Resources {
    /// What a worker offers unless told otherwise: an equal share of this machine's CPUs
    /// and memory among `workers`.
    static func share(of workers: Int) -> Resources {
        let share = Double(max(1, workers))
        return Resources(
            cpus: Double(ProcessInfo.processInfo.activeProcessorCount) / share,
            memoryBytes: Int(Double(ProcessInfo.processInfo.physicalMemory) / share))
    }

    /// The JSON form workers read from their environment (sorted keys: stable bytes).
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Invariant: Resources is plain numbers and strings, which always encode.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}
