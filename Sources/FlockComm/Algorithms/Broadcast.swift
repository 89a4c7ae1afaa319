/// Broadcast from `root`. Small messages go down a binomial tree (log2(n) rounds, each
/// holder sending to its children at once); large ones flow down a chain of ranks in
/// chunks, each rank forwarding chunk c-1 while it receives chunk c, so every link is busy
/// and the time approaches one message's transfer time whatever n is.
enum Broadcast {
    static func run(_ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        guard context.size > 1 else { return }
        if buffer.count >= CollectiveThresholds.broadcastChainThreshold {
            try chain(context, buffer: buffer, root: root)
        } else {
            try binomialTree(context, buffer: buffer, root: root)
        }
    }

    private static func binomialTree(_ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, root: Int)
        throws
    {
        let n = context.size
        let relative = (context.rank - root + n) % n
        func actual(_ position: Int) -> Int { (position + root) % n }
        var mask = 1
        while mask < n {
            if relative & mask != 0 {
                try context.exchange(
                    sending: [], receiving: [context.incoming(from: actual(relative - mask), into: buffer)])
                break
            }
            mask *= 2
        }
        var children: [(peer: Int, bytes: UnsafeRawBufferPointer)] = []
        mask /= 2
        while mask > 0 {
            if relative + mask < n { children.append((actual(relative + mask), UnsafeRawBufferPointer(buffer))) }
            mask /= 2
        }
        if !children.isEmpty { try context.exchange(sending: children, receiving: []) }
    }

    private static func chain(_ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        let n = context.size
        let relative = (context.rank - root + n) % n
        let (previous, next) = ((context.rank - 1 + n) % n, (context.rank + 1) % n)
        let chunkBytes = CollectiveThresholds.broadcastChunkBytes
        let chunks = (buffer.count + chunkBytes - 1) / chunkBytes
        func piece(_ c: Int) -> UnsafeMutableRawBufferPointer {
            buffer[bytes: c * chunkBytes..<Swift.min(buffer.count, (c + 1) * chunkBytes)]
        }
        for c in 0...chunks {
            let forwards = relative < n - 1 && c >= 1
            let receives = relative > 0 && c < chunks
            if !forwards && !receives { continue }
            try context.exchange(
                sending: forwards ? [(next, UnsafeRawBufferPointer(piece(c - 1)))] : [],
                receiving: receives ? [context.incoming(from: previous, into: piece(c))] : [])
        }
    }
}
