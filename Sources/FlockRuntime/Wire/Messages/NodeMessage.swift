/// What a node agent (`flock start --address`) and the daemon say to each other, on the
/// agent's connection, as JSON frames with opcode 33 (`JSONMessage`).
enum NodeMessage: JSONMessage {
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

    static let opcode: UInt8 = 33
    static let name = "a node message"
}
