import FlockComm
import NIOCore

/// The head's side of one worker connection: hands the worker's task messages to the
/// head and its actor messages to the router.
final class HeadConnectionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Frame
    private let head: ClusterHead
    private let router: ActorRouter

    init(head: ClusterHead, router: ActorRouter) {
        self.head = head
        self.router = router
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
            case .workerReady:
                head.workerJoined(context.channel)
                router.workerJoined(context.channel)
            case .results(let results): head.received(results, from: context.channel)
            case .tasks, .cancel:
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
