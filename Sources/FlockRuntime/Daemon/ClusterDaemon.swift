import FlockComm
import Foundation
import NIOCore

/// A long-running cluster (`flock start --head`): it listens for drivers
/// (`Cluster.connect`) and for node agents of other machines (`flock start --address`,
/// `NodeAgent`), runs a job for each driver (a head and workers of the driver's own
/// binary on this machine and on every node, ended when the driver disconnects), answers
/// `flock status` and stops on `flock stop`. Every connection must know the cluster's token.
///
/// A node that joins starts workers for every job with a driver (running ones too, whose
/// drivers are told where its objects are); one whose agent disconnects or goes silent is
/// lost to every job (its objects are rebuilt or fail: `ClusterHead.nodeLost`).
///
/// Detached actors: a job that spawned some keeps running (its workers host them) after
/// its driver leaves, until `flock stop`; their names and ids are the daemon's own, so
/// every later job looks them up and calls them (its router hands such calls over).
public final class ClusterDaemon: @unchecked Sendable {  // state guarded by `lock`
    /// Workers started for a job whose driver does not ask for a number.
    public let workersPerJob: Int
    /// The memory limit of each job's object store (nil: the default).
    public let objectStoreBytes: Int?
    private let lock = NSLock()
    /// The interface the daemon and its jobs listen on.
    let host: String
    /// How long a node agent may be silent (it sends a heartbeat twice a second) before
    /// its node is taken for dead: a machine that vanishes closes no connection.
    static let nodeTimeout = TimeAmount.seconds(5)
    /// A job: its cluster, what its workers run, and its driver (where it connected from,
    /// and the connection).
    private struct Job {
        let job: LocalCluster
        let executable: String
        let arguments: [String]
        let environment: [String: String]
        let driver: String
        let channel: Channel
    }

    private var jobs: [UInt64: Job] = [:]
    private var nextJob: UInt64 = 0
    private var nodes: [Int: (channel: Channel, host: String, workers: Int)] = [:]
    private var detached: [UInt64: (job: UInt64, router: ActorRouter)] = [:]
    private var detachedNames: [String: UInt64] = [:]
    private var nextDetached: UInt64 = 0
    private var driverless: Set<UInt64> = []
    private var nextNode = 0
    private var server: Channel?
    private var address = ""

    private init(host: String, workersPerJob: Int, objectStoreBytes: Int?) {
        self.host = host
        self.workersPerJob = workersPerJob
        self.objectStoreBytes = objectStoreBytes
    }

    /// Serves on `host:port` (0: any free port) until `flock stop`; `ready` is told the
    /// address once it listens.
    public static func run(
        host: String, port: Int, token: String, workersPerJob: Int, objectStoreBytes: Int? = nil,
        ready: @Sendable (String) throws -> Void
    ) async throws {
        let daemon = ClusterDaemon(host: host, workersPerJob: workersPerJob, objectStoreBytes: objectStoreBytes)
        let server = try await FrameChannel.listen(host: host, port: port, token: token) {
            [DriverSession(daemon: daemon)]
        }
        let address = "\(host):\(server.localAddress?.port ?? port)"
        daemon.lock.withLock {
            daemon.server = server
            daemon.address = address
        }
        try ready(address)
        try await server.closeFuture.get()
        let (jobs, nodes) = daemon.lock.withLock { (daemon.jobs.values.map(\.job), daemon.nodes.values.map(\.channel)) }
        for job in jobs { await job.shutdown() }
        for node in nodes { try? await node.close() }
    }

    /// The host and port of "host:port".
    static func split(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw RuntimeError.clusterUnreachable("\"\(address)\" is not host:port")
        }
        return (String(address[..<colon]), port)
    }

    /// An authenticated connection to the daemon at `address` ("host:port").
    static func connect(address: String, token: String) async throws -> (RemoteLink, Channel) {
        let (host, port) = try split(address)
        let link = RemoteLink()
        let channel: Channel
        do {
            channel = try await FrameChannel.connect(
                host: host, port: port, token: token, identity: "flock \(getpid())"
            ) {
                [RemoteDriverHandler(link: link)]
            }
        } catch let error as CommError {
            throw error
        } catch {
            throw RuntimeError.clusterUnreachable("no daemon answers at \(address): \(error)")
        }
        link.connected(channel)
        return (link, channel)
    }

    /// What `flock status` shows.
    func status() async -> DaemonStatus {
        let (entries, address, nodes) = lock.withLock {
            (jobs.sorted { $0.key < $1.key }, self.address, self.nodes)
        }
        var reports: [DaemonStatus.Job] = []
        for (id, entry) in entries {
            guard let statistics = try? await entry.job.statistics() else { continue }
            let (actors, gone) = lock.withLock {
                (detached.values.filter { $0.job == id }.count, driverless.contains(id))
            }
            reports.append(
                DaemonStatus.Job(
                    executable: entry.executable, driver: gone ? "gone" : entry.driver, statistics: statistics,
                    detachedActors: actors))
        }
        return DaemonStatus(
            processID: getpid(), address: address, workersPerJob: workersPerJob, jobs: reports,
            nodes: nodes.sorted { $0.key < $1.key }.map {
                DaemonStatus.Node(id: $0.key, host: $0.value.host, workersPerJob: $0.value.workers)
            })
    }

    /// Records a started job whose workers run `executable`, for the driver at `driver` on
    /// `channel`; returns its number.
    func started(
        _ job: LocalCluster, executable: String, arguments: [String], environment: [String: String],
        driver: String, on channel: Channel
    ) -> UInt64 {
        lock.withLock {
            nextJob += 1
            jobs[nextJob] = Job(
                job: job, executable: executable, arguments: arguments, environment: environment, driver: driver,
                channel: channel)
            return nextJob
        }
    }

    /// Job `id`'s driver left: the job ends (the nodes stop its workers; the caller shuts it
    /// down) unless it hosts detached actors, which keep it running. Returns whether it ended.
    @discardableResult
    func driverLeft(_ id: UInt64) -> Bool {
        let nodes = lock.withLock { () -> [Channel]? in
            guard !detached.values.contains(where: { $0.job == id }) else {
                driverless.insert(id)
                return nil
            }
            jobs.removeValue(forKey: id)
            return self.nodes.values.map(\.channel)
        }
        guard let nodes else { return false }
        for node in nodes { node.writeAndFlush(NodeMessage.stopWorkers(job: id).frame, promise: nil) }
        return true
    }

    /// Spawns a detached actor for job `id` on its router: a daemon-wide id and name.
    /// - Throws: `RuntimeError.actorCallFailed` when the name is taken, or the spawn's error.
    func spawnDetached(for id: UInt64, on router: ActorRouter, type: String, name: String?, maxRestarts: Int)
        async throws -> FlockActorID
    {
        let actor = try lock.withLock { () -> UInt64 in
            if let name {
                guard detachedNames[name] == nil else {
                    throw RuntimeError.actorCallFailed("the name \"\(name)\" is taken by a detached actor")
                }
            }
            nextDetached += 1
            let actor = 1 << 61 | nextDetached  // apart from every job's own ids
            if let name { detachedNames[name] = actor }
            detached[actor] = (id, router)
            return actor
        }
        do {
            return try await router.spawn(type: type, name: nil, maxRestarts: maxRestarts, id: actor)
        } catch {
            lock.withLock {
                detached[actor] = nil
                if let name { detachedNames[name] = nil }
            }
            throw error
        }
    }

    /// Ends detached actor `id` (of whichever job hosts it); a job left without its driver
    /// and without detached actors ends.
    /// - Throws: `RuntimeError.actorCallFailed` when there is no such actor.
    func killDetached(_ id: UInt64) throws {
        guard let (job, router) = lock.withLock({ detached[id] }) else {
            throw RuntimeError.actorCallFailed("no actor \(id) in this cluster")
        }
        try router.kill(id)
        let ended = lock.withLock { () -> LocalCluster? in
            detached[id] = nil
            detachedNames = detachedNames.filter { $0.value != id }
            guard driverless.contains(job), !detached.values.contains(where: { $0.job == job }) else { return nil }
            driverless.remove(job)
            return jobs[job]?.job
        }
        if let ended, driverLeft(job) { Task { await ended.shutdown() } }
    }

    /// The router of the job hosting detached actor `id`.
    func detachedRouter(for id: UInt64) -> ActorRouter? { lock.withLock { detached[id]?.router } }

    /// The detached actor registered under `name`.
    func detachedActor(named name: String) -> UInt64? { lock.withLock { detachedNames[name] } }

    /// Asks every node to start its workers for job `id`; returns how many workers they
    /// will start in all.
    func startWorkersOnNodes(for id: UInt64) -> Int {
        let (entry, nodes) = lock.withLock { (jobs[id], Array(self.nodes.values)) }
        guard let entry else { return 0 }
        for node in nodes { node.channel.writeAndFlush(startWorkers(id, entry).frame, promise: nil) }
        return nodes.map(\.workers).reduce(0, +)
    }

    /// Asks node `node`, which just joined, to start its workers for every job that has a
    /// driver.
    func startRunningJobs(on node: Int) {
        let (entries, channel) = lock.withLock {
            (jobs.filter { !driverless.contains($0.key) }, nodes[node]?.channel)
        }
        guard let channel else { return }
        for (id, entry) in entries { channel.writeAndFlush(startWorkers(id, entry).frame, promise: nil) }
    }

    private func startWorkers(_ id: UInt64, _ entry: Job) -> NodeMessage {
        .startWorkers(
            job: id, headPort: entry.job.headPort, token: entry.job.token, executable: entry.executable,
            arguments: entry.arguments, environment: entry.environment, objectStoreBytes: objectStoreBytes)
    }

    /// A node agent connected from `host` on `channel`, offering `workers` workers per job;
    /// returns its number.
    func nodeJoined(_ channel: Channel, host: String, workers: Int) -> Int {
        lock.withLock {
            nextNode += 1
            nodes[nextNode] = (channel, host, workers)
            return nextNode
        }
    }

    /// Node `node` started its workers for job `id` and serves its objects on `port`; the
    /// job's driver is told where every node's objects are now.
    func nodeStartedWorkers(_ node: Int, job id: UInt64, objectsPort port: Int) {
        guard
            let (entry, agent) = lock.withLock({ () -> (Job, (channel: Channel, host: String))? in
                guard let entry = jobs[id], let node = nodes[node] else { return nil }
                return (entry, (node.channel, node.host))
            })
        else { return }
        entry.job.head.nodeJoined(
            node, objects: "\(agent.host):\(port)", store: RemoteNodeStore(agent: agent.channel, job: id))
        entry.channel.writeAndFlush(DriverMessage.nodesChanged(entry.job.peers.table).frame, promise: nil)
    }

    /// Node `node`'s agent disconnected: every job loses it.
    func nodeLost(_ node: Int) {
        let jobs = lock.withLock {
            nodes[node] = nil
            return self.jobs.values.map(\.job)
        }
        for job in jobs { job.head.nodeLost(node) }
    }

    /// Stops listening; `run` then ends every job and returns.
    func stop() {
        lock.withLock { server }?.close(promise: nil)
    }
}
