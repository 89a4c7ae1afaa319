import FlockComm
import NIOCore

/// One message of the runtime's wire: FlockComm's 40-byte header and its payload.
package struct Frame: Sendable, Equatable {
    package var header: FrameHeader
    package var payload: [UInt8]

    /// A frame of `kind` carrying `payload` (the header's length is set when it is sent).
    package init(_ header: FrameHeader, payload: [UInt8] = []) {
        self.header = header
        self.payload = payload
    }
}

/// Cuts the byte stream into frames, checking each header (magic, kind) and refusing a
/// payload over `maxLength` before reading it, so a bad peer cannot make us allocate.
/// An error here closes the channel (see `FrameChannel`).
package final class FrameDecoder: ByteToMessageDecoder {
    package typealias InboundOut = Frame
    private let maxLength: UInt64

    package init(maxLength: UInt64) { self.maxLength = maxLength }

    package func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= FrameHeader.size else { return .needMoreData }
        let peer = context.remoteAddress.map { "\($0)" } ?? "peer"
        let header = try buffer.withUnsafeReadableBytes { bytes in
            try FrameHeader.decode(
                UnsafeRawBufferPointer(rebasing: bytes[..<FrameHeader.size]), maxLength: maxLength, peer: peer)
        }
        guard buffer.readableBytes >= FrameHeader.size + Int(header.length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: FrameHeader.size)
        let payload = buffer.readBytes(length: Int(header.length)) ?? []
        context.fireChannelRead(wrapInboundOut(Frame(header, payload: payload)))
        return .continue
    }

    package func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        try decode(context: context, buffer: &buffer)
    }
}

/// Writes frames: the header (with the payload's length) then the payload.
package final class FrameEncoder: MessageToByteEncoder {
    package typealias OutboundIn = Frame

    package init() {}

    package func encode(data frame: Frame, out: inout ByteBuffer) throws {
        var header = frame.header
        header.length = UInt64(frame.payload.count)
        out.writeBytes(header.encoded())
        out.writeBytes(frame.payload)
    }
}

extension Frame {
    /// A frame of kind `.runtime` (the runtime's messages) with `opcode` and `payload`.
    init(runtime opcode: UInt8, payload: [UInt8]) {
        self.init(FrameHeader(kind: .runtime, opcode: opcode), payload: payload)
    }

    /// This runtime frame's opcode as one of `Opcode`'s cases.
    /// - Throws: `CommError.badFrame` naming `expected` when the frame is of another kind or
    ///   opcode.
    func runtimeOpcode<Opcode: RawRepresentable<UInt8>>(_: Opcode.Type, expected: String, peer: String) throws
        -> Opcode
    {
        guard header.kind == .runtime, let opcode = Opcode(rawValue: header.opcode) else {
            throw CommError.badFrame(peer: peer, reason: "not \(expected): \(header.kind) opcode \(header.opcode)")
        }
        return opcode
    }
}
