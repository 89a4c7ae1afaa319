/// All-reduce for small messages: recursive doubling, log2(n) rounds in which partners
/// (rank XOR 2^k) swap their whole buffers and combine them. Latency-optimal: one round
/// trip per doubling instead of the ring's 2(n-1) steps. For n not a power of two, the
/// ranks past the largest power p first hand their data to rank - p and get the result
/// back at the end.
///
/// Reduction order: partners always combine as (lower rank's value) op (higher rank's
/// value), so both hold bitwise identical results (even for -0/+0 in min and max), and
/// the order is the same on every run.
enum RecursiveDoublingAllReduce {
    static func run(
        _ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, type: WireType, op: ReduceOp,
        scratch: UnsafeMutableRawBufferPointer
    ) throws {
        let (rank, n) = (context.rank, context.size)
        guard n > 1 else { return }
        let count = buffer.count / type.byteSize
        let landing = scratch[bytes: 0..<buffer.count]
        var power = 1
        while power * 2 <= n { power *= 2 }
        let readOnly = UnsafeRawBufferPointer(buffer)
        if rank >= power {
            // An extra rank: its partner does the work.
            try context.exchange(sending: [(rank - power, readOnly)], receiving: [])
            try context.exchange(sending: [], receiving: [context.incoming(from: rank - power, into: buffer)])
            return
        }
        /// Combines `landing` (from `peer`) into `buffer`, lower rank first.
        func absorb(from peer: Int) {
            if rank < peer {
                combine(buffer.baseAddress!, landing.baseAddress!, count: count, type: type, op: op)
            } else {
                combine(landing.baseAddress!, buffer.baseAddress!, count: count, type: type, op: op)
                buffer.copyMemory(from: UnsafeRawBufferPointer(landing))
            }
        }
        if rank + power < n {
            try context.exchange(sending: [], receiving: [context.incoming(from: rank + power, into: landing)])
            absorb(from: rank + power)
        }
        var mask = 1
        while mask < power {
            let partner = rank ^ mask
            try context.exchange(
                sending: [(partner, readOnly)], receiving: [context.incoming(from: partner, into: landing)])
            absorb(from: partner)
            mask *= 2
        }
        if rank + power < n {
            try context.exchange(sending: [(rank + power, readOnly)], receiving: [])
        }
    }
}
