/// Sending and receiving whole frames (header + payload) over a socket, for handshakes
/// and store requests. Collective data goes through `TCPTransport`'s multiplexed loop.
extension Socket {
    /// Sends one frame; `header.length` is set from the payload.
    func sendFrame(_ header: FrameHeader, payload: [UInt8] = [], until deadline: Deadline) throws {
        var header = header
        header.length = UInt64(payload.count)
        let head = header.encoded()
        try head.withUnsafeBytes { headBytes in
            try payload.withUnsafeBytes { payloadBytes in
                try sendAll([headBytes, payloadBytes], until: deadline)
            }
        }
    }

    /// Receives one frame whose payload is at most `maxLength` bytes.
    func receiveFrame(maxLength: UInt64, until deadline: Deadline) throws -> (FrameHeader, [UInt8]) {
        var head = [UInt8](repeating: 0, count: FrameHeader.size)
        try head.withUnsafeMutableBytes { try receiveAll(into: $0, until: deadline) }
        let header = try head.withUnsafeBytes { try FrameHeader.decode($0, maxLength: maxLength, peer: peer) }
        var payload = [UInt8](repeating: 0, count: Int(header.length))
        try payload.withUnsafeMutableBytes { try receiveAll(into: $0, until: deadline) }
        return (header, payload)
    }
}

/// Little-endian reading and writing of the small binary payloads of handshakes and store
/// messages: fixed-width integers and length-prefixed byte strings.
package struct PayloadWriter {
    package private(set) var bytes: [UInt8] = []

    package init() {}

    package mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    package mutating func data(_ value: [UInt8]) {
        integer(UInt32(value.count))
        bytes += value
    }

    package mutating func string(_ value: String) { data(Array(value.utf8)) }
}

/// Reads what `PayloadWriter` wrote; every read checks the bounds and throws a `badFrame`
/// naming the peer instead of reading past the end.
package struct PayloadReader {
    private let bytes: [UInt8]
    private var position = 0
    private let peer: String

    package init(_ bytes: [UInt8], peer: String) {
        self.bytes = bytes
        self.peer = peer
    }

    package mutating func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard position + size <= bytes.count else { throw truncated() }
        let value = bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: position, as: T.self)) }
        position += size
        return value
    }

    package mutating func data() throws -> [UInt8] {
        let count = Int(try integer(UInt32.self))
        guard count <= bytes.count - position else { throw truncated() }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    package mutating func string() throws -> String {
        let raw = try data()
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw CommError.badFrame(peer: peer, reason: "a string field is not valid UTF-8")
        }
        return text
    }

    /// Throws unless every byte was read (trailing bytes mean a malformed message).
    package func finish() throws {
        guard position == bytes.count else {
            throw CommError.badFrame(peer: peer, reason: "\(bytes.count - position) unexpected trailing bytes")
        }
    }

    private func truncated() -> CommError {
        CommError.badFrame(peer: peer, reason: "the payload ends early (\(bytes.count) bytes)")
    }
}
