/// Barrier by dissemination: in round k every rank signals rank + 2^k and waits for
/// rank - 2^k; after ceil(log2 n) rounds each rank has heard, directly or not, from all.
/// The messages are headers only (they still carry the sequence number, so a rank that
/// is at another operation is reported as a mismatch, not waited for).
enum DisseminationBarrier {
    static func run(_ context: CollectiveContext) throws {
        let (rank, n) = (context.rank, context.size)
        var distance = 1
        while distance < n {
            try context.exchange(
                sending: [((rank + distance) % n, UnsafeRawBufferPointer(start: nil, count: 0))],
                receiving: [
                    context.incoming(
                        from: (rank - distance + n) % n, into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
                ])
            distance *= 2
        }
    }
}
