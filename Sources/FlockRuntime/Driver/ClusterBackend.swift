/// What `Cluster` (and the refs it hands out) needs from a cluster, whether its head runs
/// in this process (`LocalCluster`) or in a `flock start` daemon reached over the network
/// (`RemoteCluster`). Object ids are chosen by the caller (`newObjectID`), so submitting
/// never waits for the head.
protocol ClusterBackend: AnyObject, Sendable {
    /// The node's object store folders (the driver reads and writes objects there itself).
    var directory: ObjectDirectory { get }
    /// The other nodes' stores (objects made there are pulled into `directory` to be read).
    var peers: ObjectPeers { get }
    /// The driver's actor system.
    var actorSystem: FlockActorSystem { get }
    /// A fresh id for a task's result or a put object.
    func newObjectID() -> UInt64
    /// Queues a task (see `ClusterHead.submit`).
    func submit(_ task: SubmittedTask) throws
    /// Records object `id`, written by the driver, at `location`.
    func put(_ id: UInt64, at location: ObjectLocation)
    /// Where object `id` is, once it exists; throws its task's error.
    func location(of id: UInt64) async throws -> ObjectLocation
    /// One driver reference to `id` is gone.
    func release(_ id: UInt64)
    /// Stops task `id`.
    func cancel(_ id: UInt64, reason: RuntimeError)
    /// Creates an actor of registered type `type` in a worker (`detached`: one that outlives
    /// the driver, on a daemon's cluster).
    func spawn(type: String, name: String?, maxRestarts: Int, detached: Bool) async throws -> FlockActorID
    /// Ends actor `id` for good.
    func kill(_ id: FlockActorID) async throws
    /// The actor registered under `name`, if any.
    func lookup(_ name: String) async throws -> FlockActorID?
    /// A snapshot of what the cluster holds.
    func statistics() async throws -> ClusterStatistics
    /// Ends the driver's use of the cluster (a local one stops).
    func shutdown() async
}
