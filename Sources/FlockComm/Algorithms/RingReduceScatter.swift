/// Reduce-scatter over a ring: the input holds n equal blocks; in n-1 steps each rank
/// sends a partial block right and adds the one arriving from the left, chunk by chunk,
/// and ends holding block `rank` fully reduced (same order rule as `RingAllReduce`).
enum RingReduceScatter {
    static func run(
        _ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, type: WireType, op: ReduceOp,
        scratch: UnsafeMutableRawBufferPointer
    ) throws {
        let (rank, n) = (context.rank, context.size)
        guard n > 1 else { return }
        let layout = BlockLayout(count: buffer.count / type.byteSize, parts: n, elementSize: type.byteSize)
        let (right, left) = ((rank + 1) % n, (rank + n - 1) % n)
        let chunk = Swift.max(type.byteSize, RingAllReduce.chunkBytes / type.byteSize * type.byteSize)
        for step in 0..<n - 1 {
            let sent = layout.bytes(of: (rank - step - 1 + 2 * n) % n)
            let target = buffer[bytes: layout.bytes(of: (rank - step - 2 + 3 * n) % n)]
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
