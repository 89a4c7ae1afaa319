import FlockComm
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import FlockRuntime

/// Sends every frame back (the server side of these tests).
final class EchoHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(wrapOutboundOut(unwrapInboundIn(data)), promise: nil)
    }
}

/// Completes `first` with the first frame that arrives.
final class FirstFrame: ChannelInboundHandler, @unchecked Sendable {  // promise completed on the event loop
    typealias InboundIn = Frame
    let first: EventLoopPromise<Frame>

    init(_ first: EventLoopPromise<Frame>) { self.first = first }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { first.succeed(unwrapInboundIn(data)) }
    func channelInactive(context: ChannelHandlerContext) {
        first.fail(CommError.peerClosed(op: "test", sequence: 0, peer: 0))
    }
}

@Suite("Runtime wire: framed, authenticated NIO channels")
struct FrameChannelTests {
    let token = "runtime-\(UUID())"

    func echoServer(maxFrame: UInt64 = FrameChannel.defaultMaxFrame) async throws -> Channel {
        try await FrameChannel.listen(host: "127.0.0.1", port: 0, token: token, maxFrame: maxFrame) { [EchoHandler()] }
    }

    /// Connects with `token`, sends `frame`, and returns the echo.
    func roundTrip(_ server: Channel, frame: Frame, token: String? = nil) async throws -> Frame {
        let first = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Frame.self)
        let client = try await FrameChannel.connect(
            host: "127.0.0.1", port: server.localAddress!.port!, token: token ?? self.token, identity: "test client"
        ) { [FirstFrame(first)] }
        defer { client.close(promise: nil) }
        try await client.writeAndFlush(frame)
        return try await first.futureResult.get()
    }

    @Test("a peer with the token exchanges frames")
    func roundTrip() async throws {
        let server = try await echoServer()
        defer { server.close(promise: nil) }
        let frame = Frame(FrameHeader(kind: .storeRequest, sequence: 7), payload: Array("ping".utf8))
        let echo = try await roundTrip(server, frame: frame)
        #expect(echo.payload == frame.payload && echo.header.sequence == 7)
    }

    @Test("a wrong token is refused with the reason, and the server serves the next client")
    func wrongToken() async throws {
        let server = try await echoServer()
        defer { server.close(promise: nil) }
        await #expect {
            _ = try await roundTrip(server, frame: Frame(FrameHeader(kind: .storeRequest)), token: "not-the-token")
        } throws: { error in
            "\(error)".contains("authentication failed")
        }
        let echo = try await roundTrip(server, frame: Frame(FrameHeader(kind: .storeRequest), payload: [1, 2, 3]))
        #expect(echo.payload == [1, 2, 3])
    }

    @Test("garbage and oversize frames close only their own connection")
    func strangersAreDropped() async throws {
        let server = try await echoServer(maxFrame: 1024)
        defer { server.close(promise: nil) }
        let port = server.localAddress!.port!
        // Raw bytes that are no Flock frame.
        let raw = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        var garbage = raw.allocator.buffer(capacity: 200)
        garbage.writeBytes([UInt8](repeating: 0xAB, count: 200))
        // On a loaded machine this task may resume after the server's handshake deadline
        // has already closed the connection ("I/O on closed channel"): either way it ends closed.
        try? await raw.writeAndFlush(garbage)
        try await raw.closeFuture.get()
        // An authenticated peer that announces a frame over the limit.
        let first = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Frame.self)
        let big = try await FrameChannel.connect(host: "127.0.0.1", port: port, token: token, identity: "big") {
            [FirstFrame(first)]
        }
        // The server closes on reading the header, so the rest of this write may fail as
        // "I/O on closed channel" (seen on a loaded machine): either way it ends closed.
        try? await big.writeAndFlush(
            Frame(FrameHeader(kind: .storeRequest), payload: [UInt8](repeating: 0, count: 8192)))
        try await big.closeFuture.get()
        // The server still serves a well-behaved client.
        let echo = try await roundTrip(server, frame: Frame(FrameHeader(kind: .storeRequest), payload: [9]))
        #expect(echo.payload == [9])
    }
}

@Suite("Runtime listeners before authentication")
struct RuntimeListenerLimitsTests {
    let token = "limits-\(UUID())"

    @Test("200 strangers each announcing a 64 MiB frame are closed without the listener buffering it")
    func oversizeBeforeHandshake() async throws {
        let server = try await FrameChannel.listen(host: "127.0.0.1", port: 0, token: token) { [EchoHandler()] }
        defer { server.close(promise: nil) }
        let port = server.localAddress!.port!
        var strangers: [Channel] = []
        for _ in 0..<200 {
            let raw = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            var bytes = raw.allocator.buffer(capacity: FrameHeader.size + 65_536)
            bytes.writeBytes(FrameHeader(kind: .authenticate, length: 64 << 20).encoded())
            bytes.writeBytes([UInt8](repeating: 7, count: 65_536))
            raw.writeAndFlush(bytes, promise: nil)
            strangers.append(raw)
        }
        // The listener closed every one at its header (the old limit before authentication,
        // 64 MiB, would have kept each open, buffering what it sent).
        for raw in strangers { try await raw.closeFuture.get() }
        let first = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Frame.self)
        let client = try await FrameChannel.connect(host: "127.0.0.1", port: port, token: token, identity: "ok") {
            [FirstFrame(first)]
        }
        defer { client.close(promise: nil) }
        try await client.writeAndFlush(Frame(FrameHeader(kind: .runtime), payload: [5]))
        #expect(try await first.futureResult.get().payload == [5])
    }
}
