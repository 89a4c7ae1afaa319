import FlockComm
import Foundation
import NIOCore
import NIOPosix

/// What a process knows of the other nodes' object stores: where each node's
/// `ObjectServer` listens, and the job's token. `makeLocal` pulls an object held by
/// another node into this node's store (once, however many tasks ask at the same time),
/// so that reading it is mapping a local file like any other.
final class ObjectPeers: @unchecked Sendable {  // state guarded by `lock`
    /// How long a pull waits for the next bytes before it fails (the server hung, or the
    /// link stalled without breaking).
    let stallTimeout: TimeAmount

    private let token: String
    private let defaultHost: String
    private let lock = NSLock()
    private var addresses: [Int: String] = [:]
    private var pulls: [UInt64: Task<Void, Error>] = [:]

    /// Peers reached with `token`; an address whose host is empty or 0.0.0.0 (a server
    /// listening on every interface) is reached at `defaultHost` (the head's host).
    init(token: String, defaultHost: String, addresses: [Int: String] = [:], stallTimeout: TimeAmount = .seconds(30)) {
        self.stallTimeout = stallTimeout
        self.token = token
        self.defaultHost = defaultHost
        self.addresses = addresses
    }

    /// The object servers by node ("host:port").
    var table: [Int: String] {
        get { lock.withLock { addresses } }
        set { lock.withLock { addresses = newValue } }
    }

    /// Makes sure object `id` at `location` can be read from `directory`: pulls it from
    /// the node that holds it when that is another node and no copy is here yet.
    /// - Throws: `RuntimeError.objectLost` when the holder cannot be reached or does not
    ///   hold it (its node died), or `.storeFull` when it cannot be written here.
    func makeLocal(_ id: UInt64, at location: ObjectLocation, in directory: ObjectDirectory) async throws {
        guard case .stored(let size, let node) = location, node != directory.node, !directory.holds(id) else {
            return
        }
        let (pull, mine) = lock.withLock { () -> (Task<Void, Error>, Bool) in
            if let running = pulls[id] { return (running, false) }
            let pull = Task { try await self.pull(id, size: size, from: node, into: directory) }
            pulls[id] = pull
            return (pull, true)
        }
        defer { if mine { lock.withLock { pulls[id] = nil } } }
        try await pull.value
    }

    private func pull(_ id: UInt64, size: Int, from node: Int, into directory: ObjectDirectory) async throws {
        guard let address = lock.withLock({ addresses[node] }), let colon = address.lastIndex(of: ":"),
            let port = Int(address[address.index(after: colon)...])
        else { throw RuntimeError.objectLost(id, reason: "no object server of node \(node) is known here") }
        var host = String(address[..<colon])
        if host.isEmpty || host == "0.0.0.0" { host = defaultHost }
        let source = "node \(node) (\(host):\(port))"
        let writer = try ObjectWriter(id: id, size: size, in: directory.memory, mapped: false)
        let stallTimeout = self.stallTimeout
        let done = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        let receiver = ObjectReceiver(id: id, writer: writer, source: source, done: done)
        let channel: Channel
        do {
            channel = try await FrameChannel.connect(
                host: host, port: port, token: token, identity: "object pull \(getpid())"
            ) { [receiver] }
        } catch {
            writer.abandon()
            done.fail(error)
            throw RuntimeError.objectLost(id, reason: "\(source) cannot be reached: \(error)")
        }
        defer { channel.close(promise: nil) }
        // A server that stops sending (hung, or a stalled link) fails the pull. The clock
        // starts when the request goes out, in one step on the event loop: this task may
        // wait long for a thread between connecting and asking (a busy cooperative pool),
        // and that wait is not the server's stall.
        try await channel.eventLoop.submit {
            // Authenticated now: reads may take up to a few chunks at once (NIO's default
            // reads at most 64 KiB a call, four calls per chunk).
            try channel.syncOptions?.setOption(
                .recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(
                    minimum: 64 << 10, initial: ObjectMessage.chunkBytes, maximum: ObjectMessage.chunkBytes * 4))
            try channel.pipeline.syncOperations.addHandler(
                IdleStateHandler(readTimeout: stallTimeout), position: .before(receiver))
            channel.writeAndFlush(ObjectMessage.request(id).frame, promise: nil)
        }.get()
        try await done.futureResult.get()
    }
}
