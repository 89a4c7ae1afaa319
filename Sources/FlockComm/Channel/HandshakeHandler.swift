import Logging
import NIOCore

/// Runs FlockComm's handshake (`Handshake.Acceptor` / `Handshake.Connector`: the same
/// logic and bytes as the collectives' sockets) at the start of a channel, then removes
/// itself, so the handlers after it only ever see an authenticated peer's frames.
/// `authenticated` is completed with the identity the connector claimed (acceptor side)
/// or its own identity (connector side), or failed with the reason; on failure the
/// channel is closed (the acceptor first tells the connector why).
///
/// Both sides give the exchange `timeout` from the moment the channel is active: a peer
/// that connects and says nothing (or too little) is closed then, so silent connections
/// cannot pile up, and a connector never waits forever for a mute acceptor.
package final class HandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = Frame
    package typealias InboundOut = Frame
    package typealias OutboundOut = Frame

    /// Which half this side plays.
    package enum Role {
        case acceptor(Handshake.Acceptor)
        case connector(Handshake.Connector)
    }

    private var role: Role
    private let authenticated: EventLoopPromise<String>
    private let timeout: TimeAmount
    private let onAuthenticated: () -> Void
    private var deadline: Scheduled<Void>?
    private static let logger = Logger(label: "flock.channel")

    /// A handler playing `role`; `onAuthenticated` runs on the event loop once the peer has
    /// proved it knows the token (before `authenticated` is completed).
    package init(
        _ role: Role, timeout: TimeAmount, authenticated: EventLoopPromise<String>,
        onAuthenticated: @escaping () -> Void = {}
    ) {
        self.role = role
        self.timeout = timeout
        self.authenticated = authenticated
        self.onAuthenticated = onAuthenticated
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armDeadline(context: context) }
    }

    package func channelActive(context: ChannelHandlerContext) {
        armDeadline(context: context)
        if case .acceptor(let acceptor) = role {
            context.writeAndFlush(
                wrapOutboundOut(Frame(FrameHeader(kind: .hello), payload: acceptor.hello)), promise: nil)
        }
        context.fireChannelActive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let peer = context.remoteAddress.map { "\($0)" } ?? "peer"
        do {
            switch role {
            case .acceptor(let acceptor):
                guard frame.header.kind == .authenticate else {
                    throw CommError.handshakeFailed(
                        peer: peer, reason: "expected an authenticate frame, got \(frame.header.kind)")
                }
                let (identity, accept, keys) = try acceptor.verify(authenticate: frame.payload, peer: peer)
                context.writeAndFlush(wrapOutboundOut(Frame(FrameHeader(kind: .accept), payload: accept)), promise: nil)
                try succeed(identity, keys: keys, context: context)
            case .connector(var connector):
                if frame.header.kind == .hello {
                    let payload = try connector.authenticate(hello: frame.payload, peer: peer)
                    role = .connector(connector)
                    context.writeAndFlush(
                        wrapOutboundOut(Frame(FrameHeader(kind: .authenticate), payload: payload)), promise: nil)
                } else {
                    let keys = try connector.finish(kind: frame.header.kind, payload: frame.payload, peer: peer)
                    try succeed(connector.identity, keys: keys, context: context)
                }
            }
        } catch let rejection as Handshake.Rejection {
            var writer = PayloadWriter()
            writer.string(rejection.reason)
            let reject = Frame(FrameHeader(kind: .reject), payload: writer.bytes)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(reject)).whenComplete { _ in channel.close(promise: nil) }
            fail(CommError.handshakeFailed(peer: peer, reason: rejection.reason), context: context, close: false)
        } catch {
            fail(error, context: context, close: true)
        }
    }

    package func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(error, context: context, close: true)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        authenticated.fail(
            CommError.handshakeFailed(peer: "peer", reason: "the connection closed during the handshake"))
        context.fireChannelInactive()
    }

    private func armDeadline(context: ChannelHandlerContext) {
        guard deadline == nil else { return }
        let peer = context.remoteAddress.map { "\($0)" } ?? "peer"
        let seconds = Double(timeout.nanoseconds) / 1e9
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.fail(
                CommError.handshakeFailed(peer: peer, reason: "no handshake within \(seconds) s"), context: context,
                close: true)
        }
    }

    /// Puts a `FrameSealer` with the session's keys in this handler's place when the
    /// session is sealed, so every later frame in either direction is, and reports the peer.
    private func succeed(_ identity: String, keys: Handshake.SessionKeys, context: ChannelHandlerContext) throws {
        deadline?.cancel()
        if keys.sealed {
            try context.pipeline.syncOperations.addHandler(FrameSealer(FrameSeal(keys)), position: .after(self))
        }
        onAuthenticated()
        authenticated.succeed(identity)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func fail(_ error: Error, context: ChannelHandlerContext, close: Bool) {
        deadline?.cancel()
        Self.logger.warning("closing connection from \(context.remoteAddress.map { "\($0)" } ?? "peer"): \(error)")
        authenticated.fail(error)
        if close { context.close(promise: nil) }
    }
}
