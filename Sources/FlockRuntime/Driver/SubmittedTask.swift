/// A task as a driver submits it: the one value that goes from `Cluster.submit` through
/// its backend (and, for a remote driver, over the wire) to the head.
struct SubmittedTask: Codable, Equatable, Sendable {
    /// A fresh id, also its result object's (`ClusterBackend.newObjectID`).
    let id: UInt64
    /// The registered name and the encoded task.
    let name: String
    let bytes: [UInt8]
    /// The ids of the refs among its fields: its inputs.
    let arguments: [UInt64]
    /// What it needs from a worker.
    let demand: Resources
    /// Runs in all when workers die.
    let maxAttempts: Int
    /// When to cancel it if it has not finished.
    let timeout: Duration?
}
