import Foundation

/// A handle to a value in the cluster's object store: returned at once by
/// `Cluster.submit` (the task's future result) or by `Cluster.put`, turned into the value
/// by `get()`. A ref can be a field of another task: that task then runs once the value
/// exists, and its `get()` reads it from the store (mapped, not copied, when large).
///
/// The refs the driver holds count: the object is freed from the store when the last copy
/// of its ref is gone and no queued task needs it.
public struct ObjectRef<Value: Codable & Sendable>: Sendable, Hashable, Codable {
    /// The object's id in its cluster.
    public let id: UInt64
    /// The driver's counted hold on the object (nil for a ref decoded inside a task).
    let owner: ObjectOwner?

    init(id: UInt64, owner: ObjectOwner?) {
        self.id = id
        self.owner = owner
    }

    /// The value, waiting for the task that makes it.
    /// - Throws: `RuntimeError.taskFailed` with the task's own error, `.workerLost`,
    ///   `.dependencyFailed`, `.cancelled`, `.objectLost`, or `.unboundReference` for a ref
    ///   that neither came from a cluster nor is an argument of the running task.
    public func get() async throws -> Value {
        let bytes = try await self.bytes()
        return try bytes.withUnsafeBytes { try ObjectCoding.decode(Value.self, from: $0) }
    }

    /// Calls `body` with the elements of an array of numbers in place: for a large object,
    /// straight from the store's shared memory, without copying it.
    /// `body` runs in the caller's isolation (so it may touch the caller's state).
    /// - Throws: as `get()`, or `.malformedObject` when the object is not such an array.
    public func withUnsafeElements<Element: BitwiseCopyable, Result>(
        isolation: isolated (any Actor)? = #isolation, _ body: (UnsafeBufferPointer<Element>) throws -> Result
    ) async throws -> Result where Value == [Element] {
        let bytes = try await self.bytes()
        return try bytes.withUnsafeBytes { try body(try ObjectCoding.elements(Element.self, in: $0)) }
    }

    /// Calls `body` with the elements of every one of `refs` in place, all at once (as
    /// `withUnsafeElements` does for one): for results to be put together without a copy
    /// of each first.
    /// - Throws: as `withUnsafeElements`.
    public static func withUnsafeElements<Element: BitwiseCopyable, Result>(
        of refs: [ObjectRef], isolation: isolated (any Actor)? = #isolation,
        _ body: ([UnsafeBufferPointer<Element>]) throws -> Result
    ) async throws -> Result where Value == [Element] {
        var held: [ObjectBytes] = []
        for ref in refs { held.append(try await ref.bytes()) }
        return try withExtendedLifetime(held) {
            try body(try held.map { try ObjectCoding.elements(Element.self, in: $0.bytes) })
        }
    }

    private func bytes() async throws -> ObjectBytes {
        if let owner {
            let backend = owner.backend
            var location = try await backend.location(of: id)
            do {
                try await backend.peers.makeLocal(id, at: location, in: backend.directory)
            } catch {
                // Its node died: the head rebuilds it from its lineage when it can; ask again.
                try await Task.sleep(for: .milliseconds(500))
                location = try await backend.location(of: id)
                try await backend.peers.makeLocal(id, at: location, in: backend.directory)
            }
            return try backend.directory.read(id, at: location)
        }
        guard let environment = TaskEnvironment.current, let location = environment.arguments[id] else {
            throw RuntimeError.unboundReference(id)
        }
        try await environment.peers.makeLocal(id, at: location, in: environment.directory)
        return try environment.directory.read(id, at: location)
    }

    public init(from decoder: Decoder) throws {
        id = try decoder.singleValueContainer().decode(UInt64.self)
        owner = nil
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(id)
        (encoder.userInfo[ReferenceCollector.key] as? ReferenceCollector)?.ids.append(id)
    }

    public static func == (lhs: ObjectRef, rhs: ObjectRef) -> Bool { lhs.id == rhs.id }

    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

/// The driver's hold on one object: the head counts one reference per live owner, and
/// the last copy of a ref going away releases it.
final class ObjectOwner: Sendable {
    let id: UInt64
    let backend: any ClusterBackend

    init(id: UInt64, backend: any ClusterBackend) {
        self.id = id
        self.backend = backend
    }

    deinit { backend.release(id) }
}

/// Gathers the ids of the refs inside a task while it is encoded: they are its inputs.
final class ReferenceCollector: @unchecked Sendable {  // used by one encoder at a time
    static let key = CodingUserInfoKey(rawValue: "flock.references")!  // Invariant: a non-empty literal.
    var ids: [UInt64] = []
}
