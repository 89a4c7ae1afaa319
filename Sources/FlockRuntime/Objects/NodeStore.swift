import NIOCore

/// What the head tells a node's store about the objects on that node, so that the node
/// keeps within its memory limit (spilling the least recently used to disk) and deletes
/// freed objects: the head node's `ObjectStore` directly, another node's through its agent
/// (`RemoteNodeStore`), which runs that node's `ObjectStore`.
protocol NodeStore: Sendable {
    /// A new object of `size` bytes is in the node's memory.
    func added(_ id: UInt64, size: Int)
    /// These objects are freed: their files on the node go (copies pulled there too).
    func removed(_ ids: [UInt64])
}

extension ObjectStore: NodeStore {
    func removed(_ ids: [UInt64]) {
        for id in ids { removed(id) }
    }
}

/// Another node's store for one job, reached through the node agent's connection to the
/// daemon (the agent holds the job's `ObjectStore` of that node).
struct RemoteNodeStore: NodeStore {
    /// The agent's connection.
    let agent: Channel
    /// The job whose objects these are.
    let job: UInt64

    func added(_ id: UInt64, size: Int) {
        agent.writeAndFlush(NodeMessage.storeAdded(job: job, id: id, size: size).frame, promise: nil)
    }

    func removed(_ ids: [UInt64]) {
        agent.writeAndFlush(NodeMessage.storeRemoved(job: job, ids: ids).frame, promise: nil)
    }
}
