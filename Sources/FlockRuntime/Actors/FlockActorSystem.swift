import Distributed
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The identity of a Flock actor in its cluster.
public struct FlockActorID: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Unique in the cluster for actors spawned through it; actors created directly in a
    /// process get ids with the top bit set, reachable only from that process.
    public let value: UInt64

    public var description: String { "actor \(value)" }
}

/// A distributed actor type that workers can create by name: `Cluster.spawn` makes one in
/// a worker process, and callers get a handle whose calls the compiler type-checks.
///
///     distributed actor Counter: ClusterActor {
///         var value = 0
///         init(actorSystem: FlockActorSystem) { self.actorSystem = actorSystem }
///         distributed func add(_ n: Int) -> Int { value += n; return value }
///     }
public protocol ClusterActor: DistributedActor where ActorSystem == FlockActorSystem {
    /// Makes a fresh instance (its state starts from here; a restarted actor starts over).
    init(actorSystem: FlockActorSystem)
    /// The name the type travels under (default: the type's name).
    static var actorName: String { get }
}

extension ClusterActor {
    /// The type's name, e.g. "Counter".
    public static var actorName: String { String(describing: Self.self) }
}

/// Flock's `DistributedActorSystem`: one per process. It hosts the process's actors, each
/// with a mailbox that runs its calls one at a time in arrival order (as Ray's actors do),
/// and sends calls to remote actors through `outlet` (to the head, which routes them to
/// the hosting worker) and waits for their replies.
public final class FlockActorSystem: DistributedActorSystem, @unchecked Sendable {  // state guarded by `lock`
    public typealias ActorID = FlockActorID
    public typealias InvocationEncoder = FlockInvocationEncoder
    public typealias InvocationDecoder = FlockInvocationDecoder
    public typealias ResultHandler = FlockResultHandler
    public typealias SerializationRequirement = Codable

    private typealias Call = (id: UInt64, target: String, generics: [String], arguments: [[UInt8]])

    private let lock = NSLock()
    private let outlet: @Sendable (ActorMessage) -> Void
    private var local: [FlockActorID: (actor: any DistributedActor, mailbox: AsyncStream<Call>.Continuation)] = [:]
    private var assigning: (id: FlockActorID, thread: pthread_t)?
    private var nextLocal: UInt64 = 0
    private var nextCall: UInt64 = 0
    private var calls: [UInt64: PendingCall] = [:]
    private var sweeping = false

    /// A call waiting for its reply, and until when.
    private struct PendingCall {
        let continuation: CheckedContinuation<(Bool, [UInt8]), Error>
        let deadline: ContinuousClock.Instant
        let target: String
        let actor: FlockActorID
    }

    /// How long a remote call waits for its reply unless the caller says otherwise
    /// (`withCallTimeout`): `FLOCK_ACTOR_CALL_TIMEOUT` seconds, default 600. A call to an
    /// actor whose worker hangs or whose machine vanished then fails instead of waiting forever.
    public static let defaultCallTimeout: Duration = .seconds(
        Int64(ProcessInfo.processInfo.environment["FLOCK_ACTOR_CALL_TIMEOUT"] ?? "") ?? 600)

    @TaskLocal private static var callTimeout: Duration?

    /// Runs `body` with remote actor calls made in it (in this task and its children)
    /// failing with `RuntimeError.actorCallFailed` when no reply came within `timeout`:
    ///
    ///     let value = try await FlockActorSystem.withCallTimeout(.seconds(5)) { try await counter.add(1) }
    public static func withCallTimeout<Result>(
        _ timeout: Duration, _ body: () async throws -> Result
    ) async rethrows -> Result {
        try await $callTimeout.withValue(timeout) { try await body() }
    }

    init(outlet: @escaping @Sendable (ActorMessage) -> Void) { self.outlet = outlet }

    /// A JSON decoder that resolves actor handles through this system.
    func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.userInfo[.actorSystemKey] = self
        return decoder
    }

    // MARK: DistributedActorSystem (documented by the protocol)

    public func resolve<Act>(id: FlockActorID, as actorType: Act.Type) throws -> Act?
    where Act: DistributedActor, Act.ID == FlockActorID {
        lock.withLock { local[id]?.actor as? Act }
    }

    public func assignID<Act>(_ actorType: Act.Type) -> FlockActorID
    where Act: DistributedActor, Act.ID == FlockActorID {
        lock.withLock {
            if let (id, thread) = assigning, pthread_equal(thread, pthread_self()) != 0 {
                assigning = nil
                return id
            }
            nextLocal += 1
            return FlockActorID(value: 1 << 63 | nextLocal)
        }
    }

    public func actorReady<Act>(_ actor: Act) where Act: DistributedActor, Act.ID == FlockActorID {
        let (stream, mailbox) = AsyncStream<Call>.makeStream()
        lock.withLock { local[actor.id] = (actor, mailbox) }
        Task { [weak self] in
            for await call in stream {
                guard let self else { return }
                await self.execute(call, on: actor)
            }
        }
    }

    public func resignID(_ id: FlockActorID) {
        lock.withLock { local.removeValue(forKey: id) }?.mailbox.finish()
    }

    public func makeInvocationEncoder() -> FlockInvocationEncoder { FlockInvocationEncoder() }

    public func remoteCall<Act, Err, Res>(
        on actor: Act, target: RemoteCallTarget, invocation: inout FlockInvocationEncoder, throwing: Err.Type,
        returning: Res.Type
    ) async throws -> Res where Act: DistributedActor, Act.ID == FlockActorID, Err: Error, Res: Codable {
        let bytes = try await call(actor.id, target, invocation)
        do {
            return try CallCoding.decode(Res.self, from: bytes, using: decoder())
        } catch {
            throw RuntimeError.malformedObject("the reply of \(target.identifier) is not a \(Res.self): \(error)")
        }
    }

    public func remoteCallVoid<Act, Err>(
        on actor: Act, target: RemoteCallTarget, invocation: inout FlockInvocationEncoder, throwing: Err.Type
    ) async throws where Act: DistributedActor, Act.ID == FlockActorID, Err: Error {
        _ = try await call(actor.id, target, invocation)
    }

    // MARK: Calls in and out

    private func call(_ actor: FlockActorID, _ target: RemoteCallTarget, _ invocation: FlockInvocationEncoder)
        async throws -> [UInt8]
    {
        let deadline = ContinuousClock.now + (Self.callTimeout ?? Self.defaultCallTimeout)
        let (succeeded, bytes) = try await withCheckedThrowingContinuation { continuation in
            let (id, startSweeper) = lock.withLock {
                nextCall += 1
                calls[nextCall] = PendingCall(
                    continuation: continuation, deadline: deadline, target: target.identifier, actor: actor)
                defer { sweeping = true }
                return (nextCall, !sweeping)
            }
            if startSweeper { sweepOverdueCalls() }
            outlet(
                .call(
                    id: id, actor: actor.value, target: target.identifier, generics: invocation.generics,
                    arguments: invocation.arguments))
        }
        guard succeeded else { throw RuntimeError.actorCallFailed(String(decoding: bytes, as: UTF8.self)) }
        return bytes
    }

    /// The reply to one of this process's calls (a late one, after its timeout, is dropped).
    func received(reply id: UInt64, succeeded: Bool, bytes: [UInt8]) {
        lock.withLock { calls.removeValue(forKey: id) }?.continuation.resume(returning: (succeeded, bytes))
    }

    /// Fails every call waiting for a reply (the connection to the head is gone).
    func failAllCalls(_ reason: String) {
        let waiting = lock.withLock { () -> [PendingCall] in
            defer { calls.removeAll() }
            return Array(calls.values)
        }
        for call in waiting { call.continuation.resume(throwing: RuntimeError.actorCallFailed(reason)) }
    }

    /// Fails, four times a second, the calls whose deadline passed: one sweeper for all
    /// calls (a timer per call would cost more than the call on the fast path).
    private func sweepOverdueCalls() {
        Task { [weak self] in
            while true {
                try? await Task.sleep(for: .milliseconds(250))
                guard let system = self else { return }
                let now = ContinuousClock.now
                let overdue = system.lock.withLock { () -> [PendingCall] in
                    let ids = system.calls.filter { $0.value.deadline <= now }.map(\.key)
                    return ids.compactMap { system.calls.removeValue(forKey: $0) }
                }
                for call in overdue {
                    call.continuation.resume(
                        throwing: RuntimeError.actorCallFailed(
                            "\(call.target) on \(call.actor) got no reply in time (its worker may hang or its "
                                + "node be unreachable); pass a longer timeout with FlockActorSystem.withCallTimeout"))
                }
            }
        }
    }

    /// A call for one of this process's actors: queued in its mailbox; the reply goes out
    /// through the outlet.
    func received(call id: UInt64, actor: UInt64, target: String, generics: [String], arguments: [[UInt8]]) {
        guard let mailbox = lock.withLock({ local[FlockActorID(value: actor)]?.mailbox }) else {
            outlet(.reply(id: id, succeeded: false, bytes: Array("no actor \(actor) in this process".utf8)))
            return
        }
        mailbox.yield((id, target, generics, arguments))
    }

    /// Creates an actor of `type` under `id` (a spawn from the head).
    func host(_ id: UInt64, type: String, registry: TaskRegistry) throws {
        guard let make = registry.actorMaker(type) else {
            throw RuntimeError.unknownTask(type, known: registry.actorNames)
        }
        // The actor's initializer asks `assignID` for its id, synchronously, on this thread.
        try lock.withLock {
            guard assigning == nil else { throw RuntimeError.malformedObject("two actors spawned at once") }
            assigning = (FlockActorID(value: id), pthread_self())
        }
        _ = make(self)
        lock.withLock { assigning = nil }
    }

    private func execute(_ call: Call, on actor: any DistributedActor) async {
        var decoder = FlockInvocationDecoder(generics: call.generics, arguments: call.arguments, system: self)
        let outlet = self.outlet
        let handler = FlockResultHandler { succeeded, bytes in
            outlet(.reply(id: call.id, succeeded: succeeded, bytes: bytes))
        }
        do {
            try await executeDistributedTarget(
                on: actor, target: RemoteCallTarget(call.target), invocationDecoder: &decoder, handler: handler)
        } catch {
            outlet(.reply(id: call.id, succeeded: false, bytes: Array("\(error)".utf8)))
        }
    }
}
