import FlockComm
import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// A cluster of worker processes that run `RemoteTask`s. `Cluster.local(workers:tasks:)`
/// starts one on this machine: the head runs in this process and the workers are this
/// same binary started again, which is why a program calls `Cluster.serveIfWorker` first
/// thing (in a worker it serves tasks and never returns).
///
///     let tasks = try TaskRegistry([Square.self])
///     try await Cluster.serveIfWorker(tasks)
///     let cluster = try await Cluster.local(workers: 2, tasks: tasks)
///     let refs = try (0..<100).map { try cluster.submit(Square(x: $0)) }
///     let squares = try await cluster.get(refs)
///
/// Connections are authenticated with a fresh token (FlockComm's handshake). Workers
/// exit when their connection to the head closes, so they never outlive the driver.
public final class Cluster: Sendable {
    private let backend: any ClusterBackend

    init(backend: any ClusterBackend) { self.backend = backend }

    /// Starts `workers` worker processes of this binary and waits (up to `timeout`) until
    /// all have connected. Worker i offers `resources[i]` (default: an equal share of the
    /// machine's CPUs and memory). A worker that exits is replaced; one silent for
    /// `heartbeatTimeout` (hung, stopped) is killed, its tasks run elsewhere, and it is
    /// replaced too. Objects above `objectStoreBytes` in memory spill to disk (default: a
    /// third of the shared-memory file system, at most 30% of RAM).
    /// - Throws: `RuntimeError.startTimeout` when some did not connect in time.
    public static func local(
        workers count: Int, tasks: TaskRegistry, resources: [Resources] = [], objectStoreBytes: Int? = nil,
        heartbeatTimeout: Duration = .seconds(5), timeout: Duration = .seconds(30)
    ) async throws -> Cluster {
        Cluster(
            backend: try await LocalCluster.start(
                workers: count, executable: currentExecutable, arguments: Array(CommandLine.arguments.dropFirst()),
                environment: [:], resources: resources, objectStoreBytes: objectStoreBytes,
                heartbeatTimeout: heartbeatTimeout, timeout: timeout))
    }

    /// Connects to the long-running cluster on this machine (`flock start --head`) and
    /// starts a job there: `workers` workers (the daemon's default when nil) that run this
    /// same binary, so, as with `local`, the program calls `serveIfWorker` first. The
    /// address and token come from the arguments, else `FLOCK_ADDRESS` / `FLOCK_TOKEN`, else
    /// the file `flock start` wrote (`ClusterFile`). The job ends when this process
    /// disconnects (`shutdown`, or exit). The workers get the daemon's environment plus the
    /// driver's `FLOCK_*` settings and the variables named in `environment` or `FLOCK_ENV`
    /// (an allow-list: nothing else of the driver's environment leaves this process).
    /// - Throws: `RuntimeError.clusterUnreachable` when no cluster is found or it cannot
    ///   start the job, `CommError.handshakeFailed` for a wrong token.
    public static func connect(
        address: String? = nil, token: String? = nil, workers: Int? = nil, environment: [String] = []
    ) async throws -> Cluster {
        let target = try ClusterFile.target(address: address, token: token)
        return Cluster(
            backend: try await RemoteCluster.connect(
                address: target.address, token: target.token, workers: workers, forwarding: environment))
    }

    /// This process's executable (workers are this binary started again).
    static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// In a worker process (started by `local`), connects to the head and runs tasks
    /// until the head goes away, then exits; elsewhere returns at once.
    public static func serveIfWorker(_ tasks: TaskRegistry) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let address = environment["FLOCK_RUNTIME_HEAD"], let colon = address.lastIndex(of: ":"),
            let port = Int(address[address.index(after: colon)...]), let token = environment["FLOCK_TOKEN"],
            let memory = environment["FLOCK_RUNTIME_OBJECTS"], let spill = environment["FLOCK_RUNTIME_SPILL"]
        else { return }
        let index = Int(environment["FLOCK_RUNTIME_WORKER"] ?? "0") ?? 0
        let offer = environment["FLOCK_RUNTIME_RESOURCES"].flatMap {
            try? JSONDecoder().decode(Resources.self, from: Data($0.utf8))
        }
        let node = Int(environment["FLOCK_RUNTIME_NODE"] ?? "0") ?? 0
        let directory = ObjectDirectory(memory: memory, spill: spill, node: node)
        let host = String(address[..<colon])
        let peers = ObjectPeers(token: token, defaultHost: host)
        let channel = try await FrameChannel.connect(
            host: host, port: port, token: token, identity: "worker \(index) of node \(node)"
        ) { [WorkerConnectionHandler(registry: tasks, directory: directory, peers: peers)] }
        try await channel.writeAndFlush(
            TaskMessage.workerReady(index: index, node: node, resources: offer ?? .share(of: 1)).frame)
        try await channel.closeFuture.get()
        exit(0)
    }

    /// Queues `task` and returns a reference to its future output at once. The task runs
    /// once every ref among its fields is ready, on a worker whose free resources cover
    /// `resources` (held while it runs). A task whose worker dies runs again, up to
    /// `maxAttempts` runs in all; one that has not finished after `timeout` is cancelled.
    /// - Throws: `RuntimeError.infeasible` when no worker offers `resources`.
    public func submit<Task: RemoteTask>(
        _ task: Task, resources: Resources = .none, maxAttempts: Int = 3, timeout: Duration? = nil
    ) throws -> ObjectRef<Task.Output> {
        let (bytes, references) = try TaskRegistry.encode(task)
        let id = backend.newObjectID()
        try backend.submit(
            SubmittedTask(
                id: id, name: Task.taskName, bytes: bytes, arguments: references, demand: resources,
                maxAttempts: max(1, maxAttempts), timeout: timeout))
        return ObjectRef(id: id, owner: ObjectOwner(id: id, backend: backend))
    }

    /// Stores `value` in the cluster's object store (large arrays of numbers as their raw
    /// bytes in shared memory) and returns its ref, which tasks can take as a field.
    /// - Throws: `RuntimeError.storeFull` when it cannot be written.
    public func put<Value: Codable & Sendable>(_ value: Value) throws -> ObjectRef<Value> {
        let id = backend.newObjectID()
        backend.put(id, at: try backend.directory.store(value, as: id))
        return ObjectRef(id: id, owner: ObjectOwner(id: id, backend: backend))
    }

    /// The value behind `ref`, waiting for its task (see `ObjectRef.get`); with a
    /// `timeout`, throws `RuntimeError.waitTimedOut` when it is not ready by then (the task
    /// goes on).
    public func get<Value>(_ ref: ObjectRef<Value>, timeout: Duration? = nil) async throws -> Value {
        guard let timeout else { return try await ref.get() }
        guard try await wait(for: [ref], count: 1, timeout: timeout).ready.count == 1 else {
            throw RuntimeError.waitTimedOut(ref.id, after: timeout)
        }
        return try await ref.get()
    }

    /// The values behind `refs`, in order.
    public func get<Value>(_ refs: [ObjectRef<Value>]) async throws -> [Value] {
        var values: [Value] = []
        values.reserveCapacity(refs.count)
        for ref in refs { values.append(try await ref.get()) }
        return values
    }

    /// Waits until `count` of `refs` are ready (made or failed) or `timeout` passes, and
    /// returns which are ready (in the order they became so, at most `count`) and which not
    /// (in the given order).
    public func wait<Value>(for refs: [ObjectRef<Value>], count: Int, timeout: Duration? = nil) async throws
        -> (ready: [ObjectRef<Value>], pending: [ObjectRef<Value>])
    {
        let wanted = min(max(count, 0), refs.count)
        let backend = self.backend
        var ready: [Int] = []
        if wanted > 0 {
            ready = try await withThrowingTaskGroup(of: Int?.self) { group in
                for (index, ref) in refs.enumerated() {
                    group.addTask {
                        do {
                            _ = try await backend.location(of: ref.id)
                        } catch is CancellationError {
                            return nil
                        } catch {}  // a failed object is ready too: its get throws
                        return index
                    }
                }
                if let timeout {
                    group.addTask {
                        try? await Task.sleep(for: timeout)
                        return nil
                    }
                }
                var ready: [Int] = []
                while ready.count < wanted, let next = try await group.next() {
                    guard let index = next else { break }  // the timeout
                    ready.append(index)
                }
                group.cancelAll()
                return ready
            }
        }
        let readySet = Set(ready)
        return (ready.map { refs[$0] }, refs.indices.filter { !readySet.contains($0) }.map { refs[$0] })
    }

    /// Cancels the task behind `ref`: its `get` then throws `RuntimeError.cancelled`. A
    /// queued task never runs; a running one sees Swift task cancellation (it stops at its
    /// next cancellation check); a finished one keeps its value.
    public func cancel<Value>(_ ref: ObjectRef<Value>) {
        backend.cancel(ref.id, reason: .cancelled(task: "\(ref.id)"))
    }

    /// The driver's actor system (to resolve actor ids or make local actors).
    public var actorSystem: FlockActorSystem { backend.actorSystem }

    /// Creates an actor of a registered type in a worker and returns a handle whose calls
    /// go to it. With a `name`, others find it with `actor(named:as:)`. When its worker
    /// dies, it is created again (fresh state) up to `maxRestarts` times; calls in flight
    /// at that moment fail, later ones reach the new instance. A `detached` actor (on a
    /// `flock start` cluster only) outlives this program: its name is known to every
    /// program that connects later, which calls it like its own, until `flock stop`.
    /// - Throws: `RuntimeError.actorCallFailed` when the name is taken (by any program's
    ///   detached actor, too), the type is not registered in the workers, or a detached
    ///   actor is asked of a local cluster.
    public func spawn<Actor: ClusterActor>(
        _ type: Actor.Type, named name: String? = nil, maxRestarts: Int = 0, detached: Bool = false
    ) async throws -> Actor {
        let id = try await backend.spawn(
            type: Actor.actorName, name: name, maxRestarts: max(0, maxRestarts), detached: detached)
        return try Actor.resolve(id: id, using: backend.actorSystem)
    }

    /// Ends `actor` for good (Ray's `kill`): calls in flight and later ones fail, it is not
    /// made again, its name is free; a detached actor's job ends with its last one.
    /// - Throws: `RuntimeError.actorCallFailed` when the cluster has no such actor.
    public func kill<Actor: ClusterActor>(_ actor: Actor) async throws {
        try await backend.kill(actor.id)
    }

    /// A handle to the actor registered under `name`.
    /// - Throws: `RuntimeError.unknownActor` when there is none.
    public func actor<Actor: ClusterActor>(named name: String, as type: Actor.Type) async throws -> Actor {
        guard let id = try await backend.lookup(name) else { throw RuntimeError.unknownActor(name) }
        return try Actor.resolve(id: id, using: backend.actorSystem)
    }

    /// What the cluster holds now: workers, objects referenced, unfinished tasks, and the
    /// store's memory and spilled bytes.
    public func statistics() async throws -> ClusterStatistics { try await backend.statistics() }

    /// Ends this driver's use of the cluster: a local cluster stops its workers and
    /// deletes its object store's files.
    public func shutdown() async { await backend.shutdown() }
}

/// A snapshot of what a cluster holds.
public struct ClusterStatistics: Sendable, Equatable, Codable {
    /// Connected workers.
    public var workers: Int
    /// The process ids of the running workers, by index.
    public var workerProcessIDs: [Int32]
    /// Workers replaced after they exited.
    public var workerRestarts: Int
    /// Objects held by refs or by tasks that will read them.
    public var objects: Int
    /// Tasks waiting for inputs, queued or running.
    public var unfinishedTasks: Int
    /// Bytes of stored objects in shared memory.
    public var storeMemoryBytes: Int
    /// Objects spilled to disk.
    public var spilledObjects: Int
    /// Bytes spilled to disk.
    public var spilledBytes: Int
    /// The memory limit past which objects spill.
    public var storeMemoryLimit: Int
    /// What the connected workers offer in all.
    public var resources: Resources
    /// How much of `resources` running tasks hold.
    public var resourcesInUse: Resources
}
