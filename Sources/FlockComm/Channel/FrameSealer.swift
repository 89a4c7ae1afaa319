import NIOCore

/// Seals every outgoing frame and opens every incoming one with the session's `FrameSeal`
/// (`HandshakeHandler` puts it in its own place once the peer authenticated). A frame that
/// fails to open is an error, which closes the channel (`CloseOnError`).
final class FrameSealer: ChannelDuplexHandler {
    typealias InboundIn = Frame
    typealias InboundOut = Frame
    typealias OutboundIn = Frame
    typealias OutboundOut = Frame

    private var seal: FrameSeal

    init(_ seal: FrameSeal) { self.seal = seal }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        do {
            let peer = context.remoteAddress.map { "\($0)" } ?? "peer"
            let payload = try seal.open(frame.header, sealed: frame.payload, peer: peer)
            var header = frame.header
            header.length = UInt64(payload.count)
            context.fireChannelRead(wrapInboundOut(Frame(header, payload: payload)))
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var frame = unwrapOutboundIn(data)
        do {
            frame.payload = try seal.seal(&frame.header, payload: frame.payload)
            context.write(wrapOutboundOut(frame), promise: promise)
        } catch {
            promise?.fail(error)
            context.fireErrorCaught(error)
        }
    }
}
