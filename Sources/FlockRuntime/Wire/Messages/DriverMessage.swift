import Foundation

/// What a job's driver and a `flock start` daemon say to each other, as JSON frames with
/// opcode 32 (`JSONMessage`); node agents speak `NodeMessage`, `flock status` and `flock
/// stop` `ControlMessage`. Requests that wait for an answer carry a request number the answer repeats.
/// Actor calls and replies travel as `ActorMessage`s on the same connection.
enum DriverMessage: JSONMessage {
    /// driver -> daemon: start a job whose workers run `executable` with `arguments` and
    /// `environment` (the driver's own binary: workers call `serveIfWorker` first).
    case registerJob(executable: String, arguments: [String], environment: [String: String], workers: Int?)
    /// daemon -> driver: the job's workers are up; its object store folders, its token and
    /// where each node's object server listens (to pull objects made on other nodes).
    case jobReady(memory: String, spill: String, token: String, nodes: [Int: String])
    /// daemon -> driver: the job could not start.
    case jobFailed(String)
    /// daemon -> driver: a node joined the job; where each node's object server listens.
    case nodesChanged([Int: String])
    case submit([SubmittedTask])
    case put(id: UInt64, location: ObjectLocation)
    case release([UInt64])
    case cancel(id: UInt64, reason: RuntimeError)
    case locate(request: UInt64, id: UInt64)
    case located(request: UInt64, location: ObjectLocation?, error: RuntimeError?)
    case spawn(request: UInt64, type: String, name: String?, maxRestarts: Int, detached: Bool)
    case spawned(request: UInt64, actor: UInt64?, error: RuntimeError?)
    case lookup(request: UInt64, name: String)
    /// driver -> daemon: end an actor of the job, or a detached one; and the answer.
    case kill(request: UInt64, actor: UInt64)
    case killed(request: UInt64, error: RuntimeError?)
    case lookedUp(request: UInt64, actor: UInt64?)
    case statistics(request: UInt64)
    case statisticsReply(request: UInt64, statistics: ClusterStatistics?, error: RuntimeError?)
    static let opcode: UInt8 = 32
    static let name = "a driver message"
}

/// What a `flock start` daemon reports to `flock status`.
public struct DaemonStatus: Codable, Equatable, Sendable {
    /// One driver's job.
    public struct Job: Codable, Equatable, Sendable {
        /// The driver's binary.
        public var executable: String
        /// Where the driver connected from.
        public var driver: String
        /// Its workers, objects, tasks and store.
        public var statistics: ClusterStatistics
        /// The detached actors it hosts (which keep it running after its driver left).
        public var detachedActors: Int
    }

    /// The daemon's process id.
    public var processID: Int32
    /// Where it listens (host:port).
    public var address: String
    /// Workers started for a job whose driver does not ask for a number.
    public var workersPerJob: Int
    /// The jobs of connected drivers.
    public var jobs: [Job]
    /// The machines that joined (`flock start --address`), beside the head's own.
    public var nodes: [Node]

    /// A node that joined the cluster.
    public struct Node: Codable, Equatable, Sendable {
        /// Its number (the head's own node is 0).
        public var id: Int
        /// Where its agent connected from.
        public var host: String
        /// Workers it starts for each job.
        public var workersPerJob: Int
    }
}
