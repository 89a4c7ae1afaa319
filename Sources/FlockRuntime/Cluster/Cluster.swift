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
    private let head: ClusterHead
    private let server: Channel
    private let processes: [Process]

    private init(head: ClusterHead, server: Channel, processes: [Process]) {
        self.head = head
        self.server = server
        self.processes = processes
    }

    /// Starts `workers` worker processes of this binary and waits (up to `timeout`) until
    /// all have connected.
    /// - Throws: `RuntimeError.startTimeout` when some did not connect in time.
    public static func local(workers: Int, tasks: TaskRegistry, timeout: Duration = .seconds(30)) async throws
        -> Cluster
    {
        let token = UUID().uuidString
        let head = ClusterHead(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let server = try await FrameChannel.listen(host: "127.0.0.1", port: 0, token: token) {
            [HeadConnectionHandler(head: head)]
        }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var processes: [Process] = []
        for index in 0..<workers {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = Array(CommandLine.arguments.dropFirst())
            process.environment = ProcessInfo.processInfo.environment.merging([
                "FLOCK_RUNTIME_HEAD": "127.0.0.1:\(server.localAddress?.port ?? 0)", "FLOCK_TOKEN": token,
                "FLOCK_RUNTIME_WORKER": "\(index)",
            ]) { $1 }
            try process.run()
            processes.append(process)
        }
        let cluster = Cluster(head: head, server: server, processes: processes)
        let deadline = ContinuousClock.now + timeout
        while head.workerCount < workers {
            guard ContinuousClock.now < deadline else {
                await cluster.shutdown()
                throw RuntimeError.startTimeout(expected: workers, connected: head.workerCount)
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        return cluster
    }

    /// In a worker process (started by `local`), connects to the head and runs tasks
    /// until the head goes away, then exits; elsewhere returns at once.
    public static func serveIfWorker(_ tasks: TaskRegistry) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let address = environment["FLOCK_RUNTIME_HEAD"], let colon = address.lastIndex(of: ":"),
            let port = Int(address[address.index(after: colon)...]), let token = environment["FLOCK_TOKEN"]
        else { return }
        let index = Int(environment["FLOCK_RUNTIME_WORKER"] ?? "0") ?? 0
        let channel = try await FrameChannel.connect(
            host: String(address[..<colon]), port: port, token: token, identity: "worker \(index)"
        ) { [WorkerConnectionHandler(registry: tasks)] }
        try await channel.writeAndFlush(TaskMessage.workerReady(index: index).frame)
        try await channel.closeFuture.get()
        exit(0)
    }

    /// Queues `task` and returns a reference to its future output at once.
    public func submit<Task: RemoteTask>(_ task: Task) throws -> ObjectRef<Task.Output> {
        ObjectRef(id: head.submit(name: Task.taskName, bytes: try TaskRegistry.encode(task)))
    }

    /// The value behind `ref`, waiting for its task.
    /// - Throws: `RuntimeError.taskFailed` with the task's own error, `.workerLost`, ...
    public func get<Value>(_ ref: ObjectRef<Value>) async throws -> Value {
        let bytes = try await head.outcome(of: ref.id)
        do {
            return try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            throw RuntimeError.malformedTask(name: "\(Value.self) result", reason: "\(error)")
        }
    }

    /// The values behind `refs`, in order.
    public func get<Value>(_ refs: [ObjectRef<Value>]) async throws -> [Value] {
        var values: [Value] = []
        values.reserveCapacity(refs.count)
        for ref in refs { values.append(try await get(ref)) }
        return values
    }

    /// The process ids of the workers (for tools and fault drills).
    public var workerProcessIDs: [Int32] { processes.map(\.processIdentifier) }

    /// Stops the workers and the head.
    public func shutdown() async {
        try? await server.close()
        for process in processes where process.isRunning { process.terminate() }
        for process in processes { process.waitUntilExit() }
    }
}
