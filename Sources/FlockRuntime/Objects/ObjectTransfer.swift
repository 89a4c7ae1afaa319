import FlockComm
import Foundation
import Logging
import NIOCore

/// How one node pulls an object from another's store: the puller opens an authenticated
/// connection (the job's token) to the holder's `ObjectServer` and asks for the object by
/// id; the server answers with the file's bytes in chunks of `chunkBytes`, which the puller
/// writes into a file of its own store as they arrive (`ObjectReceiver`), or with the
/// reason it does not hold it. Frames of kind `.runtime`, opcodes 48-50.
enum ObjectMessage: Equatable {
    /// puller -> server: send object `id`.
    case request(UInt64)
    /// server -> puller: `bytes` of object `id` (`total` bytes in all) from `offset` on.
    case chunk(id: UInt64, total: UInt64, offset: UInt64, bytes: [UInt8])
    /// server -> puller: object `id` is not here.
    case missing(id: UInt64, reason: String)

    private enum Opcode: UInt8 {
        case request = 48
        case chunk
        case missing
    }

    /// Bytes per chunk frame.
    static let chunkBytes = 256 << 10

    /// The frame carrying this message.
    var frame: Frame {
        var writer = PayloadWriter()
        switch self {
        case .request(let id):
            writer.integer(id)
            return Frame(runtime: Opcode.request.rawValue, payload: writer.bytes)
        case .chunk(let id, let total, let offset, let bytes):
            return bytes.withUnsafeBytes { Self.chunkFrame(id: id, total: total, offset: offset, bytes: $0) }
        case .missing(let id, let reason):
            writer.integer(id)
            writer.string(reason)
            return Frame(runtime: Opcode.missing.rawValue, payload: writer.bytes)
        }
    }

    /// The frame of a `.chunk` made straight from `bytes` (one copy: the payload is the
    /// 24 bytes of id, total and offset, then the bytes).
    static func chunkFrame(id: UInt64, total: UInt64, offset: UInt64, bytes: UnsafeRawBufferPointer) -> Frame {
        let payload = [UInt8](unsafeUninitializedCapacity: 24 + bytes.count) { buffer, made in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for (index, field) in [id, total, offset].enumerated() {
                raw.storeBytes(of: field.littleEndian, toByteOffset: index * 8, as: UInt64.self)
            }
            if let base = bytes.baseAddress { (raw.baseAddress! + 24).copyMemory(from: base, byteCount: bytes.count) }
            made = 24 + bytes.count
        }
        return Frame(runtime: Opcode.chunk.rawValue, payload: payload)
    }

    /// When `frame` is a `.chunk`: calls `body` with its id, total and offset and its bytes
    /// in place (no copy) and returns true; false for any other frame.
    /// - Throws: `CommError.badFrame` for a chunk shorter than its fields, or `body`'s error.
    static func withChunk(
        _ frame: Frame, peer: String, _ body: (UInt64, UInt64, UInt64, UnsafeRawBufferPointer) throws -> Void
    ) throws -> Bool {
        guard frame.header.kind == .runtime, frame.header.opcode == Opcode.chunk.rawValue else { return false }
        var reader = PayloadReader(frame.payload, peer: peer)
        let (id, total, offset) = (
            try reader.integer(UInt64.self), try reader.integer(UInt64.self), try reader.integer(UInt64.self)
        )
        try frame.payload.withUnsafeBytes { try body(id, total, offset, UnsafeRawBufferPointer(rebasing: $0[24...])) }
        return true
    }

    /// Parses a frame.
    /// - Throws: `CommError.badFrame` for another kind, an unknown opcode or a malformed payload.
    init(_ frame: Frame, peer: String) throws {
        let opcode = try frame.runtimeOpcode(Opcode.self, expected: "an object message", peer: peer)
        var reader = PayloadReader(frame.payload, peer: peer)
        switch opcode {
        case .request:
            self = .request(try reader.integer(UInt64.self))
            try reader.finish()
        case .chunk:
            let (id, total, offset) = (
                try reader.integer(UInt64.self), try reader.integer(UInt64.self), try reader.integer(UInt64.self)
            )
            self = .chunk(id: id, total: total, offset: offset, bytes: Array(frame.payload[24...]))
        case .missing:
            self = .missing(id: try reader.integer(UInt64.self), reason: try reader.string())
            try reader.finish()
        }
    }
}

/// Serves one node's store to pullers on other nodes (`ObjectMessage`): each request is
/// answered from the object's file, mapped, in chunks.
enum ObjectServer {
    /// Listens on `host:port` (0: any free port) for pulls of `directory`'s objects by
    /// peers that know `token`.
    static func listen(host: String, port: Int = 0, token: String, directory: ObjectDirectory) async throws
        -> Channel
    {
        try await FrameChannel.listen(host: host, port: port, token: token) {
            [ObjectServerHandler(directory: directory)]
        }
    }
}

/// The server's side of one puller's connection. Requests are served one at a time, in
/// order; an object's chunks are written only while the channel is writable (NIO's
/// watermarks), straight from its mapping, so a large object, or many pullers, never
/// queue whole objects in memory: a slow puller slows its own stream only.
private final class ObjectServerHandler: ChannelInboundHandler, @unchecked Sendable {  // used on its event loop
    typealias InboundIn = Frame
    typealias OutboundOut = Frame
    private let directory: ObjectDirectory
    private var requests: [UInt64] = []
    /// The object being sent and how far.
    private var sending: (id: UInt64, bytes: ObjectBytes, offset: Int)?

    init(directory: ObjectDirectory) { self.directory = directory }

    /// Keeps several chunks queued toward the kernel: with NIO's default watermarks (64
    /// KiB) a 256 KiB chunk made the channel unwritable at once and the stream went in
    /// stop-and-go steps, leaving a third of the machine idle during a pull.
    func handlerAdded(context: ChannelHandlerContext) {
        try? context.channel.syncOptions?.setOption(
            .writeBufferWaterMark, value: .init(low: ObjectMessage.chunkBytes * 4, high: ObjectMessage.chunkBytes * 16))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let peer = context.remoteAddress.map { "\($0)" } ?? "puller"
        do {
            guard case .request(let id) = try ObjectMessage(unwrapInboundIn(data), peer: peer) else {
                throw CommError.badFrame(peer: peer, reason: "a puller sent a server's object message")
            }
            guard requests.count < 1024 else {
                throw CommError.badFrame(peer: peer, reason: "over 1,024 object requests waiting on one connection")
            }
            requests.append(id)
            pump(context: context)
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        pump(context: context)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        (sending, requests) = (nil, [])
        context.fireChannelInactive()
    }

    /// Writes chunks while the channel takes them; starts the next request when one ends.
    private func pump(context: ChannelHandlerContext) {
        while context.channel.isWritable {
            guard let (id, bytes, offset) = sending ?? startNext(context: context) else { return }
            let total = bytes.withUnsafeBytes { $0.count }
            let count = min(ObjectMessage.chunkBytes, total - offset)
            let chunk = bytes.withUnsafeBytes { all in
                ObjectMessage.chunkFrame(
                    id: id, total: UInt64(total), offset: UInt64(offset),
                    bytes: UnsafeRawBufferPointer(rebasing: all[offset..<offset + count]))
            }
            // Advanced before writing: a write may report writability at once (re-entering here).
            sending = offset + count < total ? (id, bytes, offset + count) : nil
            context.writeAndFlush(wrapOutboundOut(chunk), promise: nil)
        }
    }

    /// The next requested object to send, or nil (after answering a missing one).
    private func startNext(context: ChannelHandlerContext) -> (UInt64, ObjectBytes, Int)? {
        while !requests.isEmpty {
            let id = requests.removeFirst()
            do {
                let bytes = try directory.read(id, at: .stored(size: 0, node: directory.node))
                sending = (id, bytes, 0)
                return (id, bytes, 0)
            } catch {
                context.writeAndFlush(
                    wrapOutboundOut(ObjectMessage.missing(id: id, reason: "\(error)").frame), promise: nil)
            }
        }
        return nil
    }
}

/// The puller's side: writes the chunks of one object into `writer` in order and fulfils
/// `done` once the whole file is in place, or fails it with `RuntimeError.objectLost`
/// (the server does not hold it, the connection closed early, the chunks do not fit).
final class ObjectReceiver: ChannelInboundHandler, @unchecked Sendable {  // used on its channel's event loop
    typealias InboundIn = Frame
    private let id: UInt64
    private let writer: ObjectWriter
    private let done: EventLoopPromise<Void>
    private let source: String
    private var received = 0
    private var finished = false

    init(id: UInt64, writer: ObjectWriter, source: String, done: EventLoopPromise<Void>) {
        (self.id, self.writer, self.source, self.done) = (id, writer, source, done)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        let frame = unwrapInboundIn(data)
        do {
            if try ObjectMessage.withChunk(frame, peer: source, take) { return }
            switch try ObjectMessage(frame, peer: source) {
            case .chunk: break  // taken above
            case .missing(_, let reason):
                throw RuntimeError.objectLost(id, reason: "\(source) does not hold it: \(reason)")
            case .request:
                throw RuntimeError.objectLost(id, reason: "\(source) sent a request instead of the object")
            }
        } catch {
            end(.failure(error))
        }
    }

    /// Writes one chunk where it belongs; the last one puts the file in place.
    private func take(id: UInt64, total: UInt64, offset: UInt64, bytes: UnsafeRawBufferPointer) throws {
        guard id == self.id, total == UInt64(writer.size), offset == UInt64(received),
            received + bytes.count <= writer.size
        else {
            throw RuntimeError.objectLost(
                self.id,
                reason: "\(source) sent bytes \(offset)..<\(offset + UInt64(bytes.count)) of \(total) "
                    + "for object \(id), expected \(received) of \(writer.size) for \(self.id)")
        }
        try writer.write(bytes, at: received)
        received += bytes.count
        if received == writer.size {
            try writer.commit()
            end(.success(()))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        end(.failure(RuntimeError.objectLost(id, reason: "pulling it from \(source) failed: \(error)")))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is IdleStateHandler.IdleStateEvent else { return context.fireUserInboundEventTriggered(event) }
        end(
            .failure(
                RuntimeError.objectLost(
                    id,
                    reason: "\(source) stopped sending after \(received) of \(writer.size) bytes (a hung server "
                        + "or a stalled link)")))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        end(.failure(RuntimeError.objectLost(id, reason: "\(source) closed the connection after \(received) bytes")))
        context.fireChannelInactive()
    }

    private func end(_ result: Result<Void, Error>) {
        guard !finished else { return }
        finished = true
        if case .failure = result { writer.abandon() }
        done.completeWith(result)
    }
}
