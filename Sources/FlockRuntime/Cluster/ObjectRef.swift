/// A handle to a value a task will produce (or has produced): returned at once by
/// `Cluster.submit`, turned into the value by `Cluster.get`.
public struct ObjectRef<Value: Codable & Sendable>: Sendable, Hashable {
    /// The task's id in its cluster.
    public let id: UInt64
}
