/// All-gather over a ring: in each of n-1 steps every rank passes the block it received
/// last to its right neighbour while receiving the next from its left, straight into its
/// place in the output. Each rank sends and receives (n-1)/n of the output.
enum RingAllGather {
    /// `buffer` holds n blocks (`layout`); on entry this rank has block `firstOwned`
    /// complete, on return every block.
    static func circulate(
        _ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, layout: BlockLayout, firstOwned: Int
    ) throws {
        let (rank, n) = (context.rank, context.size)
        let (right, left) = ((rank + 1) % n, (rank + n - 1) % n)
        for step in 0..<n - 1 {
            let sent = layout.bytes(of: (firstOwned - step + n) % n)
            let received = layout.bytes(of: (firstOwned - step - 1 + 2 * n) % n)
            try context.exchange(
                sending: [(right, UnsafeRawBufferPointer(buffer[bytes: sent]))],
                receiving: [context.incoming(from: left, into: buffer[bytes: received])])
        }
    }
}
