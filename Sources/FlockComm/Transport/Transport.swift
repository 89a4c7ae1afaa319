/// One message an exchange sends: a header describing the operation, then the payload.
struct OutgoingMessage {
    let peer: Int
    let header: FrameHeader
    let payload: UnsafeRawBufferPointer
}

/// One message an exchange receives into `buffer`, whose header must equal `expected`
/// (same operation, dtype, count, root, sequence and length). `onChunk` is called with
/// each completed `chunkBytes`-sized byte range as it lands, so the caller can reduce
/// one chunk while the next is still on the wire.
struct IncomingMessage {
    let peer: Int
    let expected: FrameHeader
    let buffer: UnsafeMutableRawBufferPointer
    var chunkBytes: Int = .max
    var onChunk: ((Range<Int>) -> Void)? = nil
}

/// Why an exchange failed; `ProcessGroup` turns it into a `CommError` naming the operation.
enum TransportFailure: Error {
    case peerGone(peer: Int, reason: String)
    case timedOut(waitingOn: [Int])
    case mismatch(peer: Int, received: FrameHeader)
    case badFrame(peer: Int, reason: String)
}

/// How algorithms talk to their peers: one call moves a set of messages to and from
/// several peers at once (full duplex), and returns when all have arrived. Algorithms
/// see nothing else of the network, so they run over any transport that implements this.
protocol Transport: AnyObject, Sendable {
    var rank: Int { get }
    var worldSize: Int { get }

    /// Sends and receives all messages before `deadline`, or throws `TransportFailure`.
    /// At most one outgoing and one incoming message per peer. `onSlowWait` is called once if the exchange has waited
    /// for `slowAfter` without progress, before it times out.
    func exchange(
        sending: [OutgoingMessage], receiving: [IncomingMessage], until deadline: Deadline,
        slowAfter: Duration, onSlowWait: () -> Void
    ) throws

    /// A peer whose connection has closed (it exited or crashed), checked without
    /// waiting or consuming data; nil when all look alive.
    func closedPeer() -> Int?

    /// Closes every connection, waking any exchange in progress (here and, by the closed
    /// connections, on the peers).
    func abort()
}
