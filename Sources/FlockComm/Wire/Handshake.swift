import Crypto

/// The mutual authentication every connection starts with: both sides prove knowledge of
/// the job's shared token without sending it, and agree on the protocol version.
///
///     acceptor  -> hello:        version, nonce A (32 random bytes)
///     connector -> authenticate: version, nonce C, identity, HMAC-SHA256(token, "auth" A C identity)
///     acceptor  -> accept:       HMAC-SHA256(token, "accept" C A identity)   (or reject: reason)
///
/// Fresh nonces on both sides make a recorded exchange useless for a replay. A wrong
/// token, another version or a malformed frame ends in a `CommError.handshakeFailed` on
/// the side that noticed (the acceptor also tells the connector why, then closes).
enum Handshake {
    /// The protocol version spoken by this build.
    static let version: UInt16 = 1
    /// Handshake frames are small; anything larger is not a Flock peer.
    static let maxFrame: UInt64 = 4096

    /// The key derived from the shared token.
    static func key(token: String) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Array("flock-token:\(token)".utf8)))
    }

    /// Acceptor side, on a freshly accepted socket; returns the identity the peer claimed
    /// (for example "store" or "group world rank 3").
    static func accept(_ socket: Socket, key: SymmetricKey, until deadline: Deadline) throws -> String {
        let nonce = randomNonce()
        var hello = PayloadWriter()
        hello.integer(version)
        hello.data(nonce)
        try socket.sendFrame(FrameHeader(kind: .hello), payload: hello.bytes, until: deadline)
        var reader = try receive(.authenticate, on: socket, until: deadline)
        let peerVersion = try reader.integer(UInt16.self)
        let peerNonce = try reader.data()
        let identity = try reader.string()
        let mac = try reader.data()
        try reader.finish()
        func reject(_ reason: String) throws -> Never {
            var writer = PayloadWriter()
            writer.string(reason)
            try? socket.sendFrame(FrameHeader(kind: .reject), payload: writer.bytes, until: deadline)
            throw CommError.handshakeFailed(peer: socket.peer, reason: reason)
        }
        guard peerVersion == version else {
            try reject("protocol version mismatch: this side speaks \(version), the peer \(peerVersion)")
        }
        let message = transcript("auth", nonce, peerNonce, identity)
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key) else {
            try reject("authentication failed: the peer does not know the shared token (FLOCK_TOKEN)")
        }
        var accept = PayloadWriter()
        accept.data(
            Array(HMAC<SHA256>.authenticationCode(for: transcript("accept", peerNonce, nonce, identity), using: key)))
        try socket.sendFrame(FrameHeader(kind: .accept), payload: accept.bytes, until: deadline)
        return identity
    }

    /// Connector side: authenticates as `identity` and checks that the acceptor knows
    /// the token too.
    static func connect(
        _ socket: Socket, key: SymmetricKey, identity: String, until deadline: Deadline, version: UInt16 = version
    ) throws {
        var hello = try receive(.hello, on: socket, until: deadline)
        let peerVersion = try hello.integer(UInt16.self)
        let peerNonce = try hello.data()
        try hello.finish()
        let nonce = randomNonce()
        var writer = PayloadWriter()
        writer.integer(version)
        writer.data(nonce)
        writer.string(identity)
        writer.data(
            Array(HMAC<SHA256>.authenticationCode(for: transcript("auth", peerNonce, nonce, identity), using: key)))
        try socket.sendFrame(FrameHeader(kind: .authenticate), payload: writer.bytes, until: deadline)
        let (header, payload) = try socket.receiveFrame(maxLength: maxFrame, until: deadline)
        var reader = PayloadReader(payload, peer: socket.peer)
        switch header.kind {
        case .accept:
            let mac = try reader.data()
            try reader.finish()
            let message = transcript("accept", nonce, peerNonce, identity)
            guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key) else {
                throw CommError.handshakeFailed(
                    peer: socket.peer, reason: "the acceptor could not prove it knows the shared token")
            }
        case .reject:
            throw CommError.handshakeFailed(peer: socket.peer, reason: "rejected: \(try reader.string())")
        default:
            throw CommError.handshakeFailed(peer: socket.peer, reason: "unexpected \(header.kind) frame")
        }
        if peerVersion != version {
            throw CommError.handshakeFailed(
                peer: socket.peer,
                reason: "protocol version mismatch: this side speaks \(version), the peer \(peerVersion)")
        }
    }

    /// Receives the next handshake frame, which must be of `kind`, and returns a reader
    /// over its payload.
    private static func receive(_ kind: FrameHeader.Kind, on socket: Socket, until deadline: Deadline) throws
        -> PayloadReader
    {
        let (header, payload) = try socket.receiveFrame(maxLength: maxFrame, until: deadline)
        guard header.kind == kind else {
            throw CommError.handshakeFailed(peer: socket.peer, reason: "expected a \(kind) frame, got \(header.kind)")
        }
        return PayloadReader(payload, peer: socket.peer)
    }

    private static func randomNonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    private static func transcript(_ label: String, _ first: [UInt8], _ second: [UInt8], _ identity: String) -> [UInt8]
    {
        Array("flock-\(label)-v1|".utf8) + first + second + Array(identity.utf8)
    }
}
