import FlockComm
import Logging
import NIOCore
import NIOPosix

/// Authenticated frame channels over TCP, the runtime's connections: every channel starts
/// with `FrameDecoder`/`FrameEncoder` and a `HandshakeHandler`; the caller's handlers
/// follow and see only frames from a peer that proved it knows the token.
package enum FrameChannel {
    /// Handshake frames are small; after it, frames up to `maxFrame` bytes pass.
    package static let defaultMaxFrame: UInt64 = 64 << 20

    /// Listens on `host:port` (port 0: any free one). `handlers` builds the handlers of
    /// each accepted channel (they see frames only after its handshake succeeded).
    /// Strangers (wrong token, garbage, oversize frames) are logged and dropped.
    package static func listen(
        host: String, port: Int, token: String, maxFrame: UInt64 = defaultMaxFrame,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        handlers: @escaping @Sendable () -> [ChannelHandler]
    ) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let authenticated = channel.eventLoop.makePromise(of: String.self)
                    authenticated.futureResult.whenFailure { _ in }  // Logged by the handler.
                    try configure(
                        channel, role: .acceptor(Handshake.Acceptor(key: Handshake.key(token: token))),
                        maxFrame: maxFrame,
                        authenticated: authenticated, handlers: handlers())
                }
            }
            .bind(host: host, port: port).get()
    }

    /// Connects to `host:port` as `identity` and returns once the handshake succeeded.
    /// - Throws: `CommError.handshakeFailed` naming the reason (a wrong token, another
    ///   version), or NIO's connection error.
    package static func connect(
        host: String, port: Int, token: String, identity: String, maxFrame: UInt64 = defaultMaxFrame,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        handlers: @escaping @Sendable () -> [ChannelHandler]
    ) async throws -> Channel {
        let ready = group.next().makePromise(of: String.self)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try configure(
                            channel,
                            role: .connector(Handshake.Connector(key: Handshake.key(token: token), identity: identity)),
                            maxFrame: maxFrame, authenticated: ready, handlers: handlers())
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
    private static func configure(
        _ channel: Channel, role: HandshakeHandler.Role, maxFrame: UInt64, authenticated: EventLoopPromise<String>,
        handlers: [ChannelHandler]
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maxLength: max(maxFrame, Handshake.maxFrame))))
        try pipeline.addHandler(MessageToByteHandler(FrameEncoder()))
        try pipeline.addHandler(HandshakeHandler(role, authenticated: authenticated))
        try pipeline.addHandlers(handlers)
        try pipeline.addHandler(CloseOnError())
    }
}

/// The last handler of every runtime channel: an error nobody handled (a malformed or
/// oversize frame after the handshake, a read error) is logged and closes the channel,
/// never leaves it half-alive.
final class CloseOnError: ChannelInboundHandler, Sendable {
    typealias InboundIn = Frame
    private static let logger = Logger(label: "flock.runtime")

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        Self.logger.warning("closing connection from \(context.remoteAddress.map { "\($0)" } ?? "peer"): \(error)")
        context.close(promise: nil)
    }
}
