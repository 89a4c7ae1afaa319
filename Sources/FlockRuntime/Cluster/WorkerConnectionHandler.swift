import FlockComm
import NIOCore

/// A worker's side of its connection to the head: runs each batch of tasks concurrently
/// and sends the batch's outcomes back in one frame.
final class WorkerConnectionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Frame
    private let registry: TaskRegistry

    init(registry: TaskRegistry) { self.registry = registry }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let peer = context.remoteAddress.map { "\($0)" } ?? "head"
        let tasks: [(id: UInt64, name: String, bytes: [UInt8])]
        do {
            guard case .tasks(let batch) = try TaskMessage(unwrapInboundIn(data), peer: peer) else {
                throw CommError.badFrame(peer: peer, reason: "the head sent something other than tasks")
            }
            tasks = batch
        } catch {
            context.fireErrorCaught(error)
            return
        }
        let (channel, registry) = (context.channel, registry)
        Task {
            let results = await withTaskGroup(of: (UInt64, Bool, [UInt8]).self) { group in
                for task in tasks {
                    group.addTask {
                        do {
                            // Awaited before the tuple is built: with the await inside the
                            // tuple, optimized builds (Swift 6.3) returned a zeroed id and flag.
                            let output = try await registry.run(name: task.name, bytes: task.bytes)
                            return (task.id, true, output)
                        } catch {
                            return (task.id, false, Array("\(error)".utf8))
                        }
                    }
                }
                var results: [(id: UInt64, succeeded: Bool, bytes: [UInt8])] = []
                for await result in group { results.append(result) }
                return results
            }
            channel.writeAndFlush(TaskMessage.results(results).frame, promise: nil)
        }
    }
}
