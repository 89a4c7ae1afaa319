import FlockComm
import Foundation
import NIOCore

/// A driver's side of a job on a `flock start` daemon of this machine: the daemon runs
/// the head and the job's workers (this driver's binary); the driver submits over one
/// authenticated connection, and reads and writes large objects in the daemon's object
/// folders directly (same machine, shared memory). Submissions and releases are queued
/// in order and sent coalesced, one frame per turn of the event loop.
final class RemoteCluster: ClusterBackend, @unchecked Sendable {  // state guarded by `lock`
    private typealias Reply = CheckedContinuation<DriverMessage, Error>

    let directory: ObjectDirectory
    let peers: ObjectPeers
    let actorSystem: FlockActorSystem
    private let channel: Channel
    private let link: RemoteLink
    private let lock = NSLock()
    private var nextObject: UInt64 = 0
    private var outbox: [DriverMessage] = []

    private init(channel: Channel, link: RemoteLink, directory: ObjectDirectory, peers: ObjectPeers) {
        self.channel = channel
        self.link = link
        self.directory = directory
        self.peers = peers
        actorSystem = link.actorSystem
    }

    /// Connects to the daemon at `address` (host:port), starts a job of `workers` workers (the
    /// daemon's default when nil) running this binary, and waits until they are up.
    /// - Throws: `CommError.handshakeFailed` for a wrong token, `RuntimeError.jobFailed`
    ///   (as `.clusterUnreachable`) when the daemon cannot start the job.
    static func connect(address: String, token: String, workers: Int?, forwarding names: [String]) async throws
        -> RemoteCluster
    {
        let (link, channel) = try await ClusterDaemon.connect(address: address, token: token)
        let environment = forwardedEnvironment(ProcessInfo.processInfo.environment, names: names)
        let answer = try await link.request { _ in
            .registerJob(
                executable: Cluster.currentExecutable, arguments: Array(CommandLine.arguments.dropFirst()),
                environment: environment, workers: workers)
        }
        switch answer {
        case .jobReady(let memory, let spill, let jobToken, let nodes):
            let host = String(address[..<(address.lastIndex(of: ":") ?? address.endIndex)])
            let peers = ObjectPeers(token: jobToken, defaultHost: host, addresses: nodes)
            link.peers = peers
            return RemoteCluster(
                channel: channel, link: link, directory: ObjectDirectory(memory: memory, spill: spill), peers: peers)
        case .jobFailed(let reason):
            try? await channel.close()
            throw RuntimeError.clusterUnreachable("the daemon could not start the job: \(reason)")
        default:
            try? await channel.close()
            throw RuntimeError.clusterUnreachable("the daemon answered the job with \(answer)")
        }
    }

    /// The driver's variables its workers get (on every node): those named in `names` or
    /// in `FLOCK_ENV` (comma-separated), and Flock's own settings (`FLOCK_*`), but never a
    /// token, the cluster's address or the runtime's internal variables. An allow-list, so
    /// secrets in the driver's environment (cloud keys, passwords) never leave its machine
    /// unless named.
    static func forwardedEnvironment(_ environment: [String: String], names: [String]) -> [String: String] {
        let named = Set(names + (environment["FLOCK_ENV"] ?? "").split(separator: ",").map(String.init))
        let never: Set<String> = ["FLOCK_TOKEN", "FLOCK_ADDRESS", "FLOCK_CLUSTER_FILE"]
        return environment.filter { key, _ in
            guard !never.contains(key), !key.hasPrefix("FLOCK_RUNTIME_") else { return false }
            return named.contains(key) || key.hasPrefix("FLOCK_")
        }
    }

    func newObjectID() -> UInt64 {
        lock.withLock {
            nextObject += 1
            return 1 << 62 | nextObject  // the head's own ids stay far below
        }
    }

    func submit(_ task: SubmittedTask) throws { send(.submit([task])) }

    func put(_ id: UInt64, at location: ObjectLocation) { send(.put(id: id, location: location)) }
    func release(_ id: UInt64) { send(.release([id])) }
    func cancel(_ id: UInt64, reason: RuntimeError) { send(.cancel(id: id, reason: reason)) }

    func location(of id: UInt64) async throws -> ObjectLocation {
        flush()
        let answer = try await link.request { .locate(request: $0, id: id) }
        guard case .located(_, let location, let error) = answer else { throw unexpected(answer) }
        if let error { throw error }
        guard let location else { throw unexpected(answer) }
        return location
    }

    func spawn(type: String, name: String?, maxRestarts: Int, detached: Bool) async throws -> FlockActorID {
        flush()
        let answer = try await link.request {
            .spawn(request: $0, type: type, name: name, maxRestarts: maxRestarts, detached: detached)
        }
        guard case .spawned(_, let actor, let error) = answer else { throw unexpected(answer) }
        if let error { throw error }
        guard let actor else { throw unexpected(answer) }
        return FlockActorID(value: actor)
    }

    func kill(_ id: FlockActorID) async throws {
        flush()
        let answer = try await link.request { .kill(request: $0, actor: id.value) }
        guard case .killed(_, let error) = answer else { throw unexpected(answer) }
        if let error { throw error }
    }

    func lookup(_ name: String) async throws -> FlockActorID? {
        let answer = try await link.request { .lookup(request: $0, name: name) }
        guard case .lookedUp(_, let actor) = answer else { throw unexpected(answer) }
        return actor.map(FlockActorID.init)
    }

    func statistics() async throws -> ClusterStatistics {
        flush()
        let answer = try await link.request { .statistics(request: $0) }
        guard case .statisticsReply(_, let statistics, let error) = answer else { throw unexpected(answer) }
        if let error { throw error }
        guard let statistics else { throw unexpected(answer) }
        return statistics
    }

    func shutdown() async {
        flush()
        try? await channel.close()
    }

    /// Queues `message` behind earlier ones; the first queued schedules a send of all.
    private func send(_ message: DriverMessage) {
        let first = lock.withLock { () -> Bool in
            outbox.append(message)
            return outbox.count == 1
        }
        if first { channel.eventLoop.execute { self.flush() } }
    }

    /// Sends what is queued, runs of submissions and releases merged into one message each.
    private func flush() {
        let messages = lock.withLock { () -> [DriverMessage] in
            defer { outbox.removeAll(keepingCapacity: true) }
            return outbox
        }
        var merged: [DriverMessage] = []
        for message in messages {
            switch (merged.last, message) {
            case (.submit(let earlier)?, .submit(let more)): merged[merged.count - 1] = .submit(earlier + more)
            case (.release(let earlier)?, .release(let more)): merged[merged.count - 1] = .release(earlier + more)
            default: merged.append(message)
            }
        }
        for message in merged { channel.write(message.frame, promise: nil) }
        if !merged.isEmpty { channel.flush() }
    }

    private func unexpected(_ answer: DriverMessage) -> RuntimeError {
        .clusterUnreachable("the daemon answered with \(answer)")
    }
}

/// The driver's connection state shared with its channel handler: requests waiting for
/// answers, and the driver's actor system (whose calls and replies use the connection).
final class RemoteLink: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var channel: Channel?
    private var nextRequest: UInt64 = 0
    private var waiting: [UInt64: CheckedContinuation<DriverMessage, Error>] = [:]
    private var closed: String?
    private var nodeTable: ObjectPeers?
    /// The driver's actor system; it sends on this link's channel. Set once, at the end of
    /// `init` (its outlet calls this link, which must exist first).
    private(set) var actorSystem: FlockActorSystem!

    /// The other nodes' object servers, kept current as nodes join the job.
    var peers: ObjectPeers? {
        get { lock.withLock { nodeTable } }
        set { lock.withLock { nodeTable = newValue } }
    }

    init() {
        actorSystem = FlockActorSystem { [weak self] message in self?.send(message.frame) }
    }

    /// Writes an actor call or reply of the driver's actor system on the connection.
    private func send(_ frame: Frame) { lock.withLock { channel }?.writeAndFlush(frame, promise: nil) }

    func connected(_ channel: Channel) {
        lock.withLock { self.channel = channel }
    }

    /// Sends the message `make` builds for a fresh request number and waits for the
    /// answer that repeats it (any answer, for `registerJob`). A cancelled wait stops
    /// waiting (the answer is dropped when it comes).
    func request(_ make: @Sendable (UInt64) -> DriverMessage) async throws -> DriverMessage {
        let (number, connection, failure) = lock.withLock { () -> (UInt64, Channel?, String?) in
            nextRequest += 1
            return (nextRequest, self.channel, closed)
        }
        if let failure { throw RuntimeError.clusterUnreachable(failure) }
        let message = make(number)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                lock.withLock { waiting[number] = continuation }
                if Task.isCancelled { abandon(number) }
                connection?.writeAndFlush(message.frame, promise: nil)
            }
        } onCancel: {
            abandon(number)
        }
    }

    /// An answer from the daemon (or news of a node).
    func answered(_ message: DriverMessage) {
        let number: UInt64?
        switch message {
        case .nodesChanged(let table):
            peers?.table = table
            return
        case .jobReady, .jobFailed: number = 1  // the job registration is the first request
        case .located(let request, _, _), .spawned(let request, _, _), .lookedUp(let request, _),
            .statisticsReply(let request, _, _), .killed(let request, _):
            number = request
        default: number = nil
        }
        guard let number, let continuation = lock.withLock({ waiting.removeValue(forKey: number) }) else { return }
        continuation.resume(returning: message)
    }

    /// The connection is gone: every request and actor call fails with `reason`.
    func closed(_ reason: String) {
        let pending = lock.withLock { () -> [CheckedContinuation<DriverMessage, Error>] in
            closed = reason
            defer { waiting.removeAll() }
            return Array(waiting.values)
        }
        for continuation in pending { continuation.resume(throwing: RuntimeError.clusterUnreachable(reason)) }
        actorSystem.failAllCalls(reason)
    }

    private func abandon(_ number: UInt64) {
        lock.withLock { waiting.removeValue(forKey: number) }?.resume(throwing: CancellationError())
    }
}

/// The driver's channel handler: answers go to the link, actor replies to the actor system.
final class RemoteDriverHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Frame
    private let link: RemoteLink

    init(link: RemoteLink) { self.link = link }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let peer = context.remoteAddress.map { "\($0)" } ?? "daemon"
        let frame = unwrapInboundIn(data)
        do {
            if ActorMessage.carries(frame) {
                guard case .reply(let id, let succeeded, let bytes) = try ActorMessage(frame, peer: peer) else {
                    throw CommError.badFrame(peer: peer, reason: "the daemon sent an actor message other than a reply")
                }
                link.actorSystem.received(reply: id, succeeded: succeeded, bytes: bytes)
            } else {
                link.answered(try DriverMessage(frame, peer: peer))
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        link.closed("the connection to the daemon closed")
        context.fireChannelInactive()
    }
}
