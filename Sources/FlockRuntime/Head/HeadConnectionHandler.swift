import FlockComm
import Foundation
import Logging
import NIOCore

/// The head's side of one worker connection: hands the worker's task messages to the
/// head and its actor messages to the router. Behind an `IdleStateHandler`: a worker that
/// sends nothing (not even its heartbeat) for the read timeout is hung or gone; its
/// connection is closed (so its tasks run elsewhere) and `silent` is told its index.
final class HeadConnectionHandler: ChannelInboundHandler, @unchecked Sendable {  // `index` guarded by `lock`
    typealias InboundIn = Frame
    private let head: ClusterHead
    private let router: ActorRouter
    private let silent: @Sendable (Int) -> Void
    private let lock = NSLock()
    private var index: Int?
    private static let logger = Logger(label: "flock.runtime")

    init(head: ClusterHead, router: ActorRouter, silent: @escaping @Sendable (Int) -> Void) {
        self.head = head
        self.router = router
        self.silent = silent
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case IdleStateHandler.IdleStateEvent.read = event else {
            return context.fireUserInboundEventTriggered(event)
        }
        let worker = lock.withLock { index }
        Self.logger.warning("worker \(worker.map(String.init) ?? "?") sent no heartbeat in time; dropping it")
        if let worker { silent(worker) }
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let peer = context.remoteAddress.map { "\($0)" } ?? "worker"
        let frame = unwrapInboundIn(data)
        do {
            if ActorMessage.carries(frame) {
                try router.received(try ActorMessage(frame, peer: peer), from: context.channel, peer: peer)
                return
            }
            switch try TaskMessage(frame, peer: peer) {
            case .heartbeat:
                break
            case .workerReady(let index, let node, let resources):
                lock.withLock { self.index = index }
                head.workerJoined(context.channel, node: node, capacity: resources)
                router.workerJoined(context.channel)
            case .results(let results): head.received(results, from: context.channel)
            case .tasks, .cancel, .nodes, .steal:
                throw CommError.badFrame(peer: peer, reason: "a worker sent the head a head's message")
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        head.workerLost(context.channel)
        router.workerLost(context.channel)
        context.fireChannelInactive()
    }
}
