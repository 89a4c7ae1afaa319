/// Gather, scatter and all-to-all, where every rank's block has exactly one destination:
/// all the messages go at once in one exchange (the transport's poll loop keeps every
/// connection busy), so the time is set by the busiest rank's traffic.
enum DirectExchange {
    /// Root's side of a gather: every other rank's block lands in place in `blocks`
    /// (the others simply send theirs to root).
    static func gather(_ context: CollectiveContext, into blocks: UnsafeMutableRawBufferPointer, layout: BlockLayout)
        throws
    {
        let incoming = (0..<context.size).filter { $0 != context.rank }.map {
            context.incoming(from: $0, into: blocks[bytes: layout.bytes(of: $0)])
        }
        try context.exchange(sending: [], receiving: incoming)
    }

    /// Root's side of a scatter: block i of `blocks` goes to rank i (which receives it).
    static func scatter(_ context: CollectiveContext, from blocks: UnsafeRawBufferPointer, layout: BlockLayout) throws {
        let outgoing = (0..<context.size).filter { $0 != context.rank }.map {
            (peer: $0, bytes: UnsafeRawBufferPointer(rebasing: blocks[layout.bytes(of: $0)]))
        }
        try context.exchange(sending: outgoing, receiving: [])
    }

    /// Block j of `input` goes to rank j; block j of `output` comes from rank j.
    static func allToAll(
        _ context: CollectiveContext, input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer,
        layout: BlockLayout
    ) throws {
        let rank = context.rank
        let own = layout.bytes(of: rank)
        output[bytes: own].copyMemory(from: UnsafeRawBufferPointer(rebasing: input[own]))
        let others = (0..<context.size).filter { $0 != rank }
        try context.exchange(
            sending: others.map { (peer: $0, bytes: UnsafeRawBufferPointer(rebasing: input[layout.bytes(of: $0)])) },
            receiving: others.map { context.incoming(from: $0, into: output[bytes: layout.bytes(of: $0)]) })
    }
}
