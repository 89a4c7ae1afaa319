import Foundation

/// What a running task can reach: the locations of its input objects, the node's store
/// and the other nodes' stores.
struct TaskEnvironment: Sendable {
    let arguments: [UInt64: ObjectLocation]
    let directory: ObjectDirectory
    let peers: ObjectPeers
    /// The worker's actor system (actor handles among a task's fields resolve through it).
    let actorSystem: FlockActorSystem

    @TaskLocal static var current: TaskEnvironment?
}
