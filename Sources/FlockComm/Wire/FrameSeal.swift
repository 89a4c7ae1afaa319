import Crypto

/// Protects every frame after the handshake: each payload is encrypted and authenticated
/// with ChaCha20-Poly1305 under a key of its direction, derived from the handshake (see
/// `Handshake.SessionKeys`), with the frame's header as associated data and a counter as
/// the nonce. A frame a man in the middle injected, altered, replayed, reordered or
/// reflected back fails to open, and the connection is closed: relaying a handshake (which
/// needs no token) gains a stranger nothing, since it never learns the session keys.
///
/// The sealed payload is the ciphertext followed by the 16-byte tag; the header's length
/// counts both. TCP delivers in order, so each side counts frames and expects the next
/// number exactly.
package struct FrameSeal {
    /// Bytes a sealed payload has beyond the plain one.
    package static let overhead = 16

    private let sending: SymmetricKey
    private let receiving: SymmetricKey
    private var sent: UInt64 = 0
    private var received: UInt64 = 0

    /// A seal for one side of a connection.
    package init(_ keys: Handshake.SessionKeys) {
        sending = keys.sending
        receiving = keys.receiving
    }

    /// Encrypts `payload` and returns the sealed bytes; `header.length` is set to their count.
    package mutating func seal(_ header: inout FrameHeader, payload: [UInt8]) throws -> [UInt8] {
        header.length = UInt64(payload.count + Self.overhead)
        let box = try ChaChaPoly.seal(
            payload, using: sending, nonce: Self.nonce(sent), authenticating: header.encoded())
        sent += 1
        return Array(box.ciphertext) + Array(box.tag)
    }

    /// Checks and decrypts a sealed payload that arrived under `header`.
    /// - Throws: `CommError.badFrame` when the frame was not sealed by the peer, in this order.
    package mutating func open(_ header: FrameHeader, sealed: [UInt8], peer: String) throws -> [UInt8] {
        guard sealed.count >= Self.overhead else {
            throw CommError.badFrame(peer: peer, reason: "a frame of \(sealed.count) bytes is too short to be sealed")
        }
        do {
            let split = sealed.count - Self.overhead
            let box = try ChaChaPoly.SealedBox(
                nonce: Self.nonce(received), ciphertext: sealed[..<split], tag: sealed[split...])
            let plain = try ChaChaPoly.open(box, using: receiving, authenticating: header.encoded())
            received += 1
            return Array(plain)
        } catch {
            throw CommError.badFrame(
                peer: peer,
                reason: "frame #\(received) failed authentication (altered, injected or replayed on the way)")
        }
    }

    private static func nonce(_ counter: UInt64) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: counter.littleEndian) { bytes.replaceSubrange(4..<12, with: $0) }
        // Invariant: 12 bytes is ChaChaPoly's nonce size.
        return try! ChaChaPoly.Nonce(data: bytes)
    }
}
