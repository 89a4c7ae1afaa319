/// Reduce to `root` down a binomial tree: in round k, ranks whose relative position has
/// bit k set send their partial result to the position without it and drop out. The
/// receiver combines as (its own, lower position) op (the incoming), so the order is
/// fixed and results repeat from run to run.
enum TreeReduce {
    static func run(
        _ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, type: WireType, op: ReduceOp, root: Int,
        scratch: UnsafeMutableRawBufferPointer
    ) throws {
        let n = context.size
        let relative = (context.rank - root + n) % n
        let landing = scratch[bytes: 0..<buffer.count]
        var mask = 1
        while mask < n {
            if relative & mask != 0 {
                let parent = (relative - mask + root) % n
                try context.exchange(sending: [(parent, UnsafeRawBufferPointer(buffer))], receiving: [])
                return
            }
            if relative + mask < n {
                let child = (relative + mask + root) % n
                try context.exchange(sending: [], receiving: [context.incoming(from: child, into: landing)])
                combine(
                    buffer.baseAddress!, landing.baseAddress!, count: buffer.count / type.byteSize, type: type, op: op)
            }
            mask *= 2
        }
    }
}
