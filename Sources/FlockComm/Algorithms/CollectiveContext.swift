/// The operations a collective header can name.
enum CollectiveOpcode: UInt8 {
    case allReduce = 1
    case broadcast, reduce, allGather, reduceScatter, gather, scatter, allToAll, barrier, send
}

/// What an algorithm needs to run one collective: the transport, the header that every
/// message of this operation carries (so receivers detect mismatched calls), the
/// deadline, and where to report a slow wait.
struct CollectiveContext {
    let transport: Transport
    let header: FrameHeader
    let deadline: Deadline
    let slowAfter: Duration
    let onSlowWait: () -> Void

    var rank: Int { transport.rank }
    var size: Int { transport.worldSize }

    /// Moves `sends` (peer, bytes) and `receives` at once.
    func exchange(sending sends: [(peer: Int, bytes: UnsafeRawBufferPointer)], receiving: [IncomingMessage]) throws {
        try transport.exchange(
            sending: sends.map { OutgoingMessage(peer: $0.peer, header: header, payload: $0.bytes) },
            receiving: receiving, until: deadline, slowAfter: slowAfter, onSlowWait: onSlowWait)
    }

    /// A message from `peer` into `buffer`, checked against this operation's header.
    func incoming(
        from peer: Int, into buffer: UnsafeMutableRawBufferPointer, chunkBytes: Int = .max,
        onChunk: ((Range<Int>) -> Void)? = nil
    ) -> IncomingMessage {
        IncomingMessage(peer: peer, expected: header, buffer: buffer, chunkBytes: chunkBytes, onChunk: onChunk)
    }
}

/// `count` elements split into `parts` nearly equal contiguous blocks (the first
/// `count % parts` one element longer); byte ranges for elements of `elementSize` bytes.
struct BlockLayout {
    let count: Int
    let parts: Int
    let elementSize: Int

    func bytes(of part: Int) -> Range<Int> {
        let start = part * (count / parts) + Swift.min(part, count % parts)
        let length = count / parts + (part < count % parts ? 1 : 0)
        return start * elementSize..<(start + length) * elementSize
    }
}

extension Range<Int> {
    /// This range moved by `offset`.
    func shifted(by offset: Int) -> Range<Int> { lowerBound + offset..<upperBound + offset }
}

extension UnsafeMutableRawBufferPointer {
    /// The bytes in `range` as a buffer of their own.
    subscript(bytes range: Range<Int>) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: self[range])
    }
}

extension CollectiveContext {
    /// This operation's context with `count` in its header: the second phase of a
    /// variable-length operation, once every rank knows the length.
    func counting(_ count: Int) -> CollectiveContext {
        var header = header
        header.count = UInt64(count)
        return CollectiveContext(
            transport: transport, header: header, deadline: deadline, slowAfter: slowAfter, onSlowWait: onSlowWait)
    }
}
