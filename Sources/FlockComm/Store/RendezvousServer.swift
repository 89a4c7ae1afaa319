import Foundation
import Logging
import NIOCore
import NIOPosix

/// The rendezvous key-value store's server (in the spirit of PyTorch's TCPStore), hosted
/// by rank 0 or by a launcher. Clients (`RendezvousStore`) authenticate with the job's
/// token, then set, get, wait for, add to, compare-and-set and delete keys.
///
/// It runs on SwiftNIO's event loops, so an idle connection costs a few KiB and no
/// thread: a blocking request (`get`, `wait`) parks as a `StoreState` waiter with a timer
/// and is answered when its keys appear or its timeout passes. The listener grants
/// strangers only what `FrameChannel` grants (small frames, a short handshake deadline, a
/// bounded number of pending and open connections), so a flood of idle or hostile
/// connections leaves it serving the job. The keys live in the server, not in
/// connections, so a client that reconnects finds everything as it was. A connection that
/// fails the handshake or sends a malformed frame is logged and closed; the others are
/// unaffected.
public final class RendezvousServer: Sendable {
    /// The port the server listens on (useful when it was started on port 0).
    public let port: Int
    private let channel: Channel
    private let state = StoreState()

    /// Starts serving on `host:port` (port 0: any free port, read `port`). Bind to the
    /// interface peers reach this host by; "0.0.0.0" (every interface) only when asked.
    /// - Throws: `CommError.connectionFailed` when the address cannot be bound.
    public convenience init(host: String, port: Int = 0, token: String) throws {
        try self.init(host: host, port: port, token: token, limits: ChannelLimits())
    }

    /// `init(host:port:token:)` with other connection limits (tests shrink them).
    package init(host: String, port: Int, token: String, limits: ChannelLimits) throws {
        let state = self.state
        do {
            channel = try FrameChannel.listenBlocking(
                host: host, port: port, token: token, maxFrame: StoreRequest.maxPayload, limits: limits
            ) { [StoreConnectionHandler(state: state)] }
        } catch {
            throw CommError.connectionFailed(peer: "\(host):\(port)", reason: "the store cannot listen: \(error)")
        }
        self.port = channel.localAddress?.port ?? port
    }

    deinit { stop() }

    /// Stops accepting, answers parked requests as failed and closes the listener.
    /// Connections already open close as their clients leave or the process ends.
    public func stop() {
        state.shutDown()
        channel.close(promise: nil)
    }
}

/// Serves one client connection: decodes its requests, runs them against the shared
/// `StoreState` one at a time (in the order they came), and writes the answers.
final class StoreConnectionHandler: ChannelInboundHandler, @unchecked Sendable {  // used on its event loop only
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    private let state: StoreState
    private var queue: [Frame] = []
    private var busy = false
    private var waiter: StoreState.WaiterID?
    private var timer: Scheduled<Void>?
    private let logger = Logger(label: "flock.store")

    init(state: StoreState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        queue.append(unwrapInboundIn(data))
        runNext(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        if let waiter { state.cancel(waiter) }
        context.fireChannelInactive()
    }

    private func runNext(context: ChannelHandlerContext) {
        guard !busy, !queue.isEmpty else { return }
        let frame = queue.removeFirst()
        let peer = context.remoteAddress.map { "\($0)" } ?? "peer"
        let request: StoreRequest
        do {
            guard frame.header.kind == .storeRequest else {
                throw CommError.badFrame(peer: peer, reason: "expected a store request, got \(frame.header.kind)")
            }
            request = try StoreRequest.decode(opcode: frame.header.opcode, payload: frame.payload, peer: peer)
        } catch {
            logger.warning("store: closing connection from \(peer): \(error)")
            context.close(promise: nil)
            return
        }
        busy = true
        let sequence = frame.header.sequence
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let answer: @Sendable (StoreStatus, [UInt8]) -> Void = { status, payload in
            loop.execute {
                let (handler, context) = bound.value
                handler.answered(status, payload, sequence: sequence, context: context)
            }
        }
        switch state.handle(request, answer: answer) {
        case .answered:
            break
        case .parked(let id, let milliseconds):
            waiter = id
            timer = loop.scheduleTask(in: .milliseconds(Int64(milliseconds))) { [state] in state.expire(id) }
        }
    }

    private func answered(_ status: StoreStatus, _ payload: [UInt8], sequence: UInt64, context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        waiter = nil
        busy = false
        guard context.channel.isActive else { return }
        context.writeAndFlush(
            wrapOutboundOut(
                Frame(FrameHeader(kind: .storeResponse, opcode: status.rawValue, sequence: sequence), payload: payload)),
            promise: nil)
        runNext(context: context)
    }
}
