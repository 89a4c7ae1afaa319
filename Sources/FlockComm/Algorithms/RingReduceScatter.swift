/// Reduce-scatter over a ring: the input holds n equal blocks; in n-1 steps each rank
/// sends a partial block right and adds the one arriving from the left, chunk by chunk,
/// and ends holding block `rank` fully reduced (same order rule as `RingAllReduce`).
enum RingReduceScatter {
    static func run(
        _ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, type: WireType, op: ReduceOp,
        scratch: UnsafeMutableRawBufferPointer
    ) throws {
        let n = context.size
        try circulate(
            context, buffer: buffer, type: type, op: op, scratch: scratch, firstSent: (context.rank + n - 1) % n)
    }

    /// The n-1 reduce-scatter steps over `buffer`'s n blocks: step s sends block
    /// firstSent - s right and adds block firstSent - s - 1 arriving from the left, so the
    /// rank ends owning block firstSent + 1 (mod n) fully reduced.
    static func circulate(
        _ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, type: WireType, op: ReduceOp,
        scratch: UnsafeMutableRawBufferPointer, firstSent: Int
    ) throws {
        let (rank, n) = (context.rank, context.size)
        guard n > 1 else { return }
        let layout = BlockLayout(count: buffer.count / type.byteSize, parts: n, elementSize: type.byteSize)
        let (right, left) = ((rank + 1) % n, (rank + n - 1) % n)
        let chunk = Swift.max(type.byteSize, CollectiveThresholds.ringChunkBytes / type.byteSize * type.byteSize)
        for step in 0..<n - 1 {
            let sent = layout.bytes(of: (firstSent - step + n) % n)
            let target = buffer[bytes: layout.bytes(of: (firstSent - step - 1 + 2 * n) % n)]
            let landing = scratch[bytes: 0..<target.count]
            try context.exchange(
                sending: [(right, UnsafeRawBufferPointer(buffer[bytes: sent]))],
                receiving: [
                    context.incoming(from: left, into: landing, chunkBytes: chunk) { range in
                        combine(
                            target.baseAddress! + range.lowerBound, landing.baseAddress! + range.lowerBound,
                            count: range.count / type.byteSize, type: type, op: op)
                    }
                ])
        }
    }
}
