import FlockComm
import NIOCore

/// The head's side of one worker connection: hands the worker's messages to the head.
final class HeadConnectionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Frame
    private let head: ClusterHead

    init(head: ClusterHead) { self.head = head }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let peer = context.remoteAddress.map { "\($0)" } ?? "worker"
        do {
            switch try TaskMessage(unwrapInboundIn(data), peer: peer) {
            case .workerReady: head.workerJoined(context.channel)
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
        context.fireChannelInactive()
    }
}
