import FlockComm
import Foundation

/// What a job's driver and a `flock start` daemon say to each other (and `flock status` /
/// `flock stop` to the daemon), as frames of kind `.runtime` with opcode 32 and a JSON
/// payload. Requests that wait for an answer carry a request number the answer repeats.
/// Actor calls and replies travel as `ActorMessage`s on the same connection.
enum DriverMessage: Codable, Equatable, Sendable {
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
    /// `flock status` -> daemon, and its answer.
    case status(request: UInt64)
    case statusReply(request: UInt64, status: DaemonStatus)
    /// `flock stop` -> daemon: end every job and exit; and its acknowledgement.
    case stop(request: UInt64)
    case stopping(request: UInt64)
    /// node agent -> daemon: this machine joins with `workers` workers per job; the daemon
    /// answers with the node's number.
    case registerNode(workers: Int)
    case nodeRegistered(node: Int)
    /// node agent -> daemon, twice a second: still alive (a node silent for
    /// `ClusterDaemon.nodeTimeout` is dropped as dead).
    case heartbeat
    /// daemon -> node agent: start this node's workers for job `job`, connecting to the
    /// job's head on the daemon's host at `headPort` with `token`; its store keeps
    /// `objectStoreBytes` in memory (nil: the node's default).
    case startWorkers(
        job: UInt64, headPort: Int, token: String, executable: String, arguments: [String],
        environment: [String: String], objectStoreBytes: Int?)
    /// daemon (a job's head) -> node agent: object `id` of `size` bytes is in the node's
    /// store for job `job`; and these objects of the job are freed.
    case storeAdded(job: UInt64, id: UInt64, size: Int)
    case storeRemoved(job: UInt64, ids: [UInt64])
    /// node agent -> daemon: the job's workers are started and its objects are served on
    /// `objectsPort` of the node (or the reason they could not be).
    case workersStarted(job: UInt64, objectsPort: Int?, error: String?)
    /// daemon -> node agent: job `job` ended; stop its workers and delete its objects.
    case stopWorkers(job: UInt64)

    static let opcode: UInt8 = 32

    /// Whether `frame` carries a driver message.
    static func carries(_ frame: Frame) -> Bool { frame.header.kind == .runtime && frame.header.opcode == opcode }

    /// The frame carrying this message.
    var frame: Frame {
        // Invariant: every case holds plain Codable values, which always encode.
        Frame(runtime: Self.opcode, payload: Array(try! JSONEncoder().encode(self)))
    }

    /// Parses a frame.
    /// - Throws: `CommError.badFrame` when the payload is not a driver message.
    init(_ frame: Frame, peer: String) throws {
        guard Self.carries(frame) else {
            throw CommError.badFrame(peer: peer, reason: "not a driver message: opcode \(frame.header.opcode)")
        }
        do {
            self = try JSONDecoder().decode(DriverMessage.self, from: Data(frame.payload))
        } catch {
            throw CommError.badFrame(peer: peer, reason: "a driver message that does not decode: \(error)")
        }
    }
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
