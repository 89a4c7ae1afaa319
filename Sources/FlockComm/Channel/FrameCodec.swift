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
/// `FrameChannel` starts it at the handshake's small limit and raises it once the peer
/// has authenticated. An error here closes the channel (see `FrameChannel`).
package final class FrameDecoder: ByteToMessageDecoder {
    package typealias InboundOut = Frame
    /// The largest payload accepted now (changed on the channel's event loop only).
    package var maxLength: UInt64

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
