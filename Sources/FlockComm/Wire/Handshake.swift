import Crypto

/// The mutual authentication every connection starts with: both sides prove knowledge of
/// the job's shared token without sending it, agree on the protocol version, and derive
/// the session's keys.
///
///     acceptor  -> hello:        version, nonce A (32 random bytes), seal wish a
///     connector -> authenticate: version, nonce C, seal wish c, identity, HMAC-SHA256(key, T("connector"))
///     acceptor  -> accept:       HMAC-SHA256(key, T("acceptor"))   (or reject: reason)
///
/// where T(role) = "flock-handshake-v3" | role | A | C | a c | identity, each field
/// length-prefixed (so no two transcripts read alike), and key = SHA-256 of the token.
/// Frames after the handshake are sealed when either side wishes it (`SealPolicy`); the
/// wishes are in the transcript, so nobody on the path can turn sealing off.
/// Fresh nonces on both sides make a recorded exchange useless for a replay; the role in
/// the transcript makes a proof useless when reflected back. Both sides then derive one
/// key per direction with HKDF-SHA256 from the token's key, both nonces and the identity
/// (`SessionKeys`); `FrameSeal` protects every later frame with them, so a stranger who
/// relays a handshake between two real peers can neither read nor change what follows.
/// A wrong token, another version or a malformed frame ends in a
/// `CommError.handshakeFailed` on the side that noticed (the acceptor also tells the
/// connector why, then closes).
///
/// The two halves are `Acceptor` and `Connector`: steps on frame payloads without I/O,
/// so any transport can drive them; `accept` and `connect` drive them over a `Socket`.
package enum Handshake {
    /// The protocol version spoken by this build.
    package static let version: UInt16 = 3
    /// Handshake frames are small; anything larger is not a Flock peer.
    package static let maxFrame: UInt64 = 4096

    /// The key derived from the shared token.
    package static func key(token: String) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Array("flock-token:\(token)".utf8)))
    }

    /// The keys of one side of a session: what it seals with and what it opens with.
    package struct SessionKeys {
        package let sending: SymmetricKey
        package let receiving: SymmetricKey

        /// Whether the session's frames are sealed (either side asked for it).
        package let sealed: Bool

        /// Derives both directions' keys; `isAcceptor` says which one this side sends on.
        init(
            key: SymmetricKey, acceptorNonce: [UInt8], connectorNonce: [UInt8], identity: String, isAcceptor: Bool,
            sealed: Bool
        ) {
            self.sealed = sealed
            func derive(_ direction: String) -> SymmetricKey {
                HKDF<SHA256>.deriveKey(
                    inputKeyMaterial: key, salt: acceptorNonce + connectorNonce,
                    info: Handshake.transcript(direction, acceptorNonce, connectorNonce, [], identity),
                    outputByteCount: 32)
            }
            let fromAcceptor = derive("acceptor-to-connector")
            let fromConnector = derive("connector-to-acceptor")
            sending = isAcceptor ? fromAcceptor : fromConnector
            receiving = isAcceptor ? fromConnector : fromAcceptor
        }
    }

    /// Why an acceptor refuses a connector: sent to it in a reject frame.
    package struct Rejection: Error {
        package let reason: String
    }

    /// The acceptor's half.
    package struct Acceptor {
        let key: SymmetricKey
        let nonce = randomNonce()
        let wantsSeal: Bool

        /// An acceptor proving knowledge of `key`, asking for sealed frames or not.
        package init(key: SymmetricKey, wantsSeal: Bool = true) {
            self.key = key
            self.wantsSeal = wantsSeal
        }

        /// The payload of the hello frame that opens the exchange.
        package var hello: [UInt8] {
            var writer = PayloadWriter()
            writer.integer(version)
            writer.data(nonce)
            writer.integer(UInt8(wantsSeal ? 1 : 0))
            return writer.bytes
        }

        /// Checks the connector's authenticate payload: returns the identity it claims, the
        /// payload of the accept frame and the session's keys, or throws a `Rejection`
        /// (wrong version or token) or `CommError.badFrame` (malformed).
        package func verify(authenticate payload: [UInt8], peer: String) throws -> (
            identity: String, accept: [UInt8], keys: SessionKeys
        ) {
            var reader = PayloadReader(payload, peer: peer)
            let peerVersion = try reader.integer(UInt16.self)
            let peerNonce = try reader.data()
            let peerWish = try reader.integer(UInt8.self)
            let identity = try reader.string()
            let mac = try reader.data()
            try reader.finish()
            guard peerNonce.count == 32 else { throw Rejection(reason: "a nonce of \(peerNonce.count) bytes, not 32") }
            guard peerVersion == version else {
                throw Rejection(
                    reason: "protocol version mismatch: this side speaks \(version), the peer \(peerVersion)")
            }
            let wishes = [UInt8(wantsSeal ? 1 : 0), peerWish]
            let message = transcript("connector", nonce, peerNonce, wishes, identity)
            guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key) else {
                throw Rejection(reason: "authentication failed: the peer does not know the shared token (FLOCK_TOKEN)")
            }
            var accept = PayloadWriter()
            accept.data(
                Array(
                    HMAC<SHA256>.authenticationCode(
                        for: transcript("acceptor", nonce, peerNonce, wishes, identity), using: key)))
            let keys = SessionKeys(
                key: key, acceptorNonce: nonce, connectorNonce: peerNonce, identity: identity, isAcceptor: true,
                sealed: wantsSeal || peerWish != 0)
            return (identity, accept.bytes, keys)
        }
    }

    /// The connector's half.
    package struct Connector {
        let key: SymmetricKey
        package let identity: String
        let version: UInt16
        private let nonce = randomNonce()
        private var peerNonce: [UInt8] = []
        private var peerVersion: UInt16 = 0
        let wantsSeal: Bool
        private var peerWish: UInt8 = 0

        /// A connector claiming `identity`, asking for sealed frames or not.
        package init(key: SymmetricKey, identity: String, wantsSeal: Bool = true, version: UInt16 = Handshake.version) {
            self.key = key
            self.identity = identity
            self.wantsSeal = wantsSeal
            self.version = version
        }

        private var wishes: [UInt8] { [peerWish, UInt8(wantsSeal ? 1 : 0)] }

        /// The payload of the authenticate frame that answers the acceptor's hello.
        package mutating func authenticate(hello payload: [UInt8], peer: String) throws -> [UInt8] {
            var hello = PayloadReader(payload, peer: peer)
            peerVersion = try hello.integer(UInt16.self)
            peerNonce = try hello.data()
            peerWish = try hello.integer(UInt8.self)
            try hello.finish()
            guard peerNonce.count == 32 else {
                throw CommError.handshakeFailed(peer: peer, reason: "a hello nonce of \(peerNonce.count) bytes, not 32")
            }
            var writer = PayloadWriter()
            writer.integer(version)
            writer.data(nonce)
            writer.integer(UInt8(wantsSeal ? 1 : 0))
            writer.string(identity)
            writer.data(
                Array(
                    HMAC<SHA256>.authenticationCode(
                        for: transcript("connector", peerNonce, nonce, wishes, identity), using: key)))
            return writer.bytes
        }

        /// Checks the acceptor's answer, an accept frame proving it knows the token too, and
        /// returns the session's keys.
        package func finish(kind: FrameHeader.Kind, payload: [UInt8], peer: String) throws -> SessionKeys {
            var reader = PayloadReader(payload, peer: peer)
            switch kind {
            case .accept:
                let mac = try reader.data()
                try reader.finish()
                let message = transcript("acceptor", peerNonce, nonce, wishes, identity)
                guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key) else {
                    throw CommError.handshakeFailed(
                        peer: peer, reason: "the acceptor could not prove it knows the shared token")
                }
            case .reject:
                throw CommError.handshakeFailed(peer: peer, reason: "rejected: \(try reader.string())")
            default:
                throw CommError.handshakeFailed(peer: peer, reason: "unexpected \(kind) frame")
            }
            if peerVersion != version {
                throw CommError.handshakeFailed(
                    peer: peer,
                    reason: "protocol version mismatch: this side speaks \(version), the peer \(peerVersion)")
            }
            return SessionKeys(
                key: key, acceptorNonce: peerNonce, connectorNonce: nonce, identity: identity, isAcceptor: false,
                sealed: wantsSeal || peerWish != 0)
        }
    }

    /// Acceptor side, on a freshly accepted socket; returns the identity the peer claimed
    /// (for example "store" or "group world rank 3") and the session's keys.
    static func accept(_ socket: Socket, key: SymmetricKey, wantsSeal: Bool, until deadline: Deadline) throws -> (
        identity: String, keys: SessionKeys
    ) {
        let acceptor = Acceptor(key: key, wantsSeal: wantsSeal)
        try socket.sendFrame(FrameHeader(kind: .hello), payload: acceptor.hello, until: deadline)
        let payload = try receive(.authenticate, on: socket, until: deadline)
        do {
            let (identity, accept, keys) = try acceptor.verify(authenticate: payload, peer: socket.peer)
            try socket.sendFrame(FrameHeader(kind: .accept), payload: accept, until: deadline)
            return (identity, keys)
        } catch let rejection as Rejection {
            var writer = PayloadWriter()
            writer.string(rejection.reason)
            try? socket.sendFrame(FrameHeader(kind: .reject), payload: writer.bytes, until: deadline)
            throw CommError.handshakeFailed(peer: socket.peer, reason: rejection.reason)
        }
    }

    /// Connector side: authenticates as `identity`, checks that the acceptor knows the
    /// token too, and returns the session's keys.
    @discardableResult
    static func connect(
        _ socket: Socket, key: SymmetricKey, identity: String, wantsSeal: Bool, until deadline: Deadline,
        version: UInt16 = version
    ) throws -> SessionKeys {
        var connector = Connector(key: key, identity: identity, wantsSeal: wantsSeal, version: version)
        let hello = try receive(.hello, on: socket, until: deadline)
        let authenticate = try connector.authenticate(hello: hello, peer: socket.peer)
        try socket.sendFrame(FrameHeader(kind: .authenticate), payload: authenticate, until: deadline)
        let (header, payload) = try socket.receiveFrame(maxLength: maxFrame, until: deadline)
        return try connector.finish(kind: header.kind, payload: payload, peer: socket.peer)
    }

    /// Receives the next handshake frame, which must be of `kind`, and returns its payload.
    private static func receive(_ kind: FrameHeader.Kind, on socket: Socket, until deadline: Deadline) throws
        -> [UInt8]
    {
        let (header, payload) = try socket.receiveFrame(maxLength: maxFrame, until: deadline)
        guard header.kind == kind else {
            throw CommError.handshakeFailed(peer: socket.peer, reason: "expected a \(kind) frame, got \(header.kind)")
        }
        return payload
    }

    private static func randomNonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// "flock-handshake-v3", the role or purpose, the acceptor's nonce, the connector's, the
    /// seal wishes (acceptor's, connector's) and the identity, each preceded by its length
    /// (4 bytes, little-endian).
    static func transcript(
        _ role: String, _ acceptorNonce: [UInt8], _ connectorNonce: [UInt8], _ wishes: [UInt8], _ identity: String
    ) -> [UInt8] {
        var writer = PayloadWriter()
        for field in [Array("flock-handshake-v3".utf8), Array(role.utf8), acceptorNonce, connectorNonce, wishes] {
            writer.data(field)
        }
        writer.string(identity)
        return writer.bytes
    }
}
