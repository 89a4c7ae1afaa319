import FlockComm
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// `flock status` and `flock stop`: one `ControlMessage` question on a connection of its
/// own, and the daemon's one answer.
extension ClusterDaemon {
    /// Asks the daemon at `address` for its status (`flock status`).
    /// - Throws: `RuntimeError.clusterUnreachable`, or `CommError.handshakeFailed` for a wrong token.
    public static func status(address: String, token: String) async throws -> DaemonStatus {
        guard case .statusReply(let status) = try await ask(.status, address: address, token: token) else {
            throw RuntimeError.clusterUnreachable("the daemon did not answer with its status")
        }
        return status
    }

    /// Tells the daemon at `address` to end its jobs and exit (`flock stop`).
    public static func stop(address: String, token: String) async throws {
        guard case .stopping = try await ask(.stop, address: address, token: token) else {
            throw RuntimeError.clusterUnreachable("the daemon did not acknowledge the stop")
        }
    }

    /// Sends `question` to the daemon at `address` on a connection of its own and returns
    /// the answer.
    private static func ask(_ question: ControlMessage, address: String, token: String) async throws
        -> ControlMessage
    {
        let (host, port) = try split(address)
        let answer = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: ControlMessage.self)
        let channel: Channel
        do {
            channel = try await FrameChannel.connect(
                host: host, port: port, token: token, identity: "flock \(getpid())"
            ) {
                [ControlAnswer(answer)]
            }
        } catch let error as CommError {
            answer.fail(error)
            throw error
        } catch {
            answer.fail(error)
            throw RuntimeError.clusterUnreachable("no daemon answers at \(address): \(error)")
        }
        defer { channel.close(promise: nil) }
        try await channel.writeAndFlush(question.frame)
        return try await answer.futureResult.get()
    }
}

/// The client's side of a control connection: the daemon's one answer completes `answer`;
/// a connection that closes first fails it.
private final class ControlAnswer: ChannelInboundHandler, Sendable {
    typealias InboundIn = Frame
    private let answer: EventLoopPromise<ControlMessage>

    init(_ answer: EventLoopPromise<ControlMessage>) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let peer = context.remoteAddress.map { "\($0)" } ?? "daemon"
        answer.completeWith(Result { try ControlMessage(unwrapInboundIn(data), peer: peer) })
    }

    func channelInactive(context: ChannelHandlerContext) {
        answer.fail(RuntimeError.clusterUnreachable("the daemon closed the connection without answering"))
        context.fireChannelInactive()
    }
}
