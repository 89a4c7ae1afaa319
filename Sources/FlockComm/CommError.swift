/// Why a store request, a connection or a collective failed. Every case reads as a
/// sentence that says what happened and where, so a user can act on it.
public enum CommError: Error, CustomStringConvertible, Equatable {
    /// An operation ran past its timeout; `missingRanks` did not reach it (as far as the
    /// store can tell: ranks that are stuck earlier, busy elsewhere or dead).
    case timeout(op: String, sequence: UInt64, missingRanks: [Int])
    /// A peer closed its connection (it exited or crashed) during an operation.
    case peerClosed(op: String, sequence: UInt64, peer: Int)
    /// A peer failed first (its reason is `cause`) and closed its connections.
    case peerFailed(op: String, sequence: UInt64, peer: Int, cause: String)
    /// Ranks called different collectives (operation, dtype, count or root) at the same
    /// point, or a message arrived out of order.
    case mismatch(op: String, sequence: UInt64, peer: Int, detail: String)
    /// The group failed earlier; it cannot be used any more (create a new one).
    case groupAborted(reason: String)
    /// The other side of a connection did not prove knowledge of the shared token, spoke
    /// another protocol version, or sent a malformed frame.
    case handshakeFailed(peer: String, reason: String)
    /// A frame broke the protocol (bad magic, oversize length, unexpected kind).
    case badFrame(peer: String, reason: String)
    /// A socket call failed (connect, bind, send, receive).
    case connectionFailed(peer: String, reason: String)
    /// A store request failed on the server (or timed out waiting for keys).
    case store(reason: String)
    /// An argument is unusable (a rank out of range, a shape that does not divide).
    case invalidArgument(op: String, reason: String)
    /// The environment does not describe a distributed job (missing or bad variables).
    case environment(reason: String)

    public var description: String {
        switch self {
        case .timeout(let op, let sequence, let missing):
            let who =
                missing.isEmpty
                ? "every rank reached it, but data stopped flowing"
                : "ranks \(missing) did not take part"
            return "\(op) #\(sequence) timed out: \(who)"
        case .peerClosed(let op, let sequence, let peer):
            return "\(op) #\(sequence) failed: rank \(peer) closed its connection (it exited or crashed)"
        case .peerFailed(let op, let sequence, let peer, let cause):
            return "\(op) #\(sequence) failed because rank \(peer) failed first: \(cause)"
        case .mismatch(let op, let sequence, let peer, let detail):
            return "\(op) #\(sequence) does not match rank \(peer)'s call: \(detail)"
        case .groupAborted(let reason):
            return "the process group was aborted by an earlier failure and cannot be used: \(reason)"
        case .handshakeFailed(let peer, let reason):
            return "handshake with \(peer) failed: \(reason)"
        case .badFrame(let peer, let reason):
            return "malformed frame from \(peer): \(reason)"
        case .connectionFailed(let peer, let reason):
            return "connection to \(peer) failed: \(reason)"
        case .store(let reason):
            return "store request failed: \(reason)"
        case .invalidArgument(let op, let reason):
            return "\(op): \(reason)"
        case .environment(let reason):
            return "distributed environment: \(reason)"
        }
    }
}
