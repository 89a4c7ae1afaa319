/// All-reduce for large messages: a ring reduce-scatter, then a ring all-gather.
///
/// The buffer is cut into one segment per rank. In each of the n-1 reduce-scatter steps a
/// rank sends one segment to its right neighbour while it receives another from its left
/// (full duplex) and adds it in chunk by chunk as the chunks land, so reducing overlaps
/// the transfer; afterwards rank r holds segment r+1 fully reduced. The n-1 all-gather
/// steps then pass the finished segments around, straight into place. Each rank sends
/// and receives 2(n-1)/n of the buffer: the bandwidth optimum.
///
/// Reduction order: segment s is accumulated along the ring starting at rank s, always
/// as (partial from the left) combined into the local value, and computed by exactly one
/// rank; every rank receives that rank's bytes. Results are therefore identical on every
/// rank and from run to run (for a given world size).
enum RingAllReduce {
    static func run(
        _ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, type: WireType, op: ReduceOp,
        scratch: UnsafeMutableRawBufferPointer
    ) throws {
        let (rank, n) = (context.rank, context.size)
        guard n > 1 else { return }
        try RingReduceScatter.circulate(context, buffer: buffer, type: type, op: op, scratch: scratch, firstSent: rank)
        let layout = BlockLayout(count: buffer.count / type.byteSize, parts: n, elementSize: type.byteSize)
        try RingAllGather.circulate(context, buffer: buffer, layout: layout, firstOwned: (rank + 1) % n)
    }
}
