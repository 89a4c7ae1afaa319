import Logging
import NIOCore
import NIOPosix

/// Authenticated frame channels over TCP, the connections of the rendezvous store and of
/// the runtime: every channel starts with `FrameDecoder`/`FrameEncoder` and a
/// `HandshakeHandler`; the caller's handlers follow and see only frames from a peer that
/// proved it knows the token.
///
/// What a stranger who can reach a listener gets (see `ChannelLimits`): frames of at most
/// `Handshake.maxFrame` bytes until the handshake succeeds, `handshakeTimeout` to finish
/// it, a place among at most `maxPendingHandshakes` unauthenticated connections (the
/// oldest is dropped to make room, so a flood of silent connections cannot lock out a
/// real peer) and among at most `maxConnections` in all. Every connection has TCP
/// keepalive on, so a peer that vanishes (a crashed or partitioned machine) is noticed
/// within `ChannelLimits.keepalive`'s seconds, not after the kernel's two hours.
package enum FrameChannel {
    /// Frames up to this size pass after the handshake unless a caller sets another limit.
    package static let defaultMaxFrame: UInt64 = 64 << 20

    /// Listens on `host:port` (port 0: any free one). `handlers` builds the handlers of
    /// each accepted channel (they see frames only after its handshake succeeded).
    /// Strangers (wrong token, garbage, oversize frames, silence) are logged and dropped.
    package static func listen(
        host: String, port: Int, token: String, maxFrame: UInt64 = defaultMaxFrame, limits: ChannelLimits = .init(),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        handlers: @escaping @Sendable () -> [ChannelHandler]
    ) async throws -> Channel {
        try await serverBootstrap(
            token: token, maxFrame: maxFrame, limits: limits, group: group, handlers: handlers
        ).bind(host: host, port: port).get()
    }

    /// `listen` for callers that are not async (the rendezvous store's server).
    package static func listenBlocking(
        host: String, port: Int, token: String, maxFrame: UInt64 = defaultMaxFrame, limits: ChannelLimits = .init(),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        handlers: @escaping @Sendable () -> [ChannelHandler]
    ) throws -> Channel {
        try serverBootstrap(
            token: token, maxFrame: maxFrame, limits: limits, group: group, handlers: handlers
        ).bind(host: host, port: port).wait()
    }

    private static func serverBootstrap(
        token: String, maxFrame: UInt64, limits: ChannelLimits, group: EventLoopGroup,
        handlers: @escaping @Sendable () -> [ChannelHandler]
    ) -> ServerBootstrap {
        let gate = ConnectionGate(limits: limits)
        return keepalive(
            ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.so_keepalive), value: 1),
            limits.keepalive
        )
        .childChannelInitializer { channel in
            guard gate.admit(channel) else { return channel.close() }
            return channel.eventLoop.makeCompletedFuture {
                let authenticated = channel.eventLoop.makePromise(of: String.self)
                authenticated.futureResult.whenFailure { _ in }  // Logged by the handler.
                try configure(
                    channel,
                    role: .acceptor(
                        Handshake.Acceptor(
                            key: Handshake.key(token: token),
                            wantsSeal: SealPolicy.configured.wantsSeal(peer: channel.remoteAddress?.ipAddress ?? ""))),
                    maxFrame: maxFrame,
                    limits: limits,
                    authenticated: authenticated, onAuthenticated: { gate.authenticated(channel) },
                    handlers: handlers())
            }
        }
    }

    /// Connects to `host:port` as `identity` and returns once the handshake succeeded.
    /// - Throws: `CommError.handshakeFailed` naming the reason (a wrong token, another
    ///   version, no answer within `limits.handshakeTimeout`), or NIO's connection error.
    package static func connect(
        host: String, port: Int, token: String, identity: String, maxFrame: UInt64 = defaultMaxFrame,
        limits: ChannelLimits = .init(), group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        handlers: @escaping @Sendable () -> [ChannelHandler]
    ) async throws -> Channel {
        let ready = group.next().makePromise(of: String.self)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .connectTimeout(limits.handshakeTimeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try setKeepalive(channel, limits.keepalive)
                        try configure(
                            channel,
                            role: .connector(
                                Handshake.Connector(
                                    key: Handshake.key(token: token), identity: identity,
                                    wantsSeal: SealPolicy.configured.wantsSeal(peer: host))),
                            maxFrame: maxFrame, limits: limits, authenticated: ready, onAuthenticated: {},
                            handlers: handlers())
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            ready.fail(error)  // no handshake will complete it (NIO checks that promises end)
            throw error
        }
        do {
            _ = try await ready.futureResult.get()
        } catch {
            try? await channel.close()
            throw error
        }
        return channel
    }

    /// Adds framing, the handshake and `handlers` to a new channel (on its event loop).
    /// The decoder admits handshake-sized frames until the peer has authenticated.
    private static func configure(
        _ channel: Channel, role: HandshakeHandler.Role, maxFrame: UInt64, limits: ChannelLimits,
        authenticated: EventLoopPromise<String>, onAuthenticated: @escaping () -> Void, handlers: [ChannelHandler]
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        let decoder = FrameDecoder(maxLength: Handshake.maxFrame)
        try pipeline.addHandler(ByteToMessageHandler(decoder))
        try pipeline.addHandler(MessageToByteHandler(FrameEncoder()))
        try pipeline.addHandler(
            HandshakeHandler(
                role, timeout: limits.handshakeTimeout, authenticated: authenticated,
                onAuthenticated: {
                    decoder.maxLength = max(maxFrame, Handshake.maxFrame) + UInt64(FrameSeal.overhead)
                    onAuthenticated()
                }))
        try pipeline.addHandlers(handlers)
        try pipeline.addHandler(CloseOnError())
    }

    private static func keepalive(_ bootstrap: ServerBootstrap, _ keepalive: ChannelLimits.Keepalive)
        -> ServerBootstrap
    {
        bootstrap
            .childChannelOption(ChannelLimits.Keepalive.idle, value: keepalive.idleSeconds)
            .childChannelOption(ChannelLimits.Keepalive.interval, value: keepalive.intervalSeconds)
            .childChannelOption(ChannelLimits.Keepalive.probes, value: keepalive.probes)
            .childChannelOption(ChannelLimits.Keepalive.unacknowledged, value: keepalive.unacknowledgedMilliseconds)
    }

    private static func setKeepalive(_ channel: Channel, _ keepalive: ChannelLimits.Keepalive) throws {
        guard let options = channel.syncOptions else { return }
        try options.setOption(ChannelLimits.Keepalive.idle, value: keepalive.idleSeconds)
        try options.setOption(ChannelLimits.Keepalive.interval, value: keepalive.intervalSeconds)
        try options.setOption(ChannelLimits.Keepalive.probes, value: keepalive.probes)
        try options.setOption(ChannelLimits.Keepalive.unacknowledged, value: keepalive.unacknowledgedMilliseconds)
    }
}

/// The last handler of every frame channel: an error nobody handled (a malformed or
/// oversize frame after the handshake, a read error) is logged and closes the channel,
/// never leaves it half-alive.
package final class CloseOnError: ChannelInboundHandler, Sendable {
    package typealias InboundIn = Frame
    private static let logger = Logger(label: "flock.channel")

    package init() {}

    package func errorCaught(context: ChannelHandlerContext, error: Error) {
        Self.logger.warning("closing connection from \(context.remoteAddress.map { "\($0)" } ?? "peer"): \(error)")
        context.close(promise: nil)
    }
}
