/// Collectives on raw bytes of any length (serialized objects, metadata, checkpoints'
/// small parts): the lengths travel first, so ranks need not agree on them in advance.
/// Each is one operation in the group's sequence, checked like the tensor collectives.
extension ProcessGroup {
    /// The longest byte message a receiver accepts (a larger announced length is a bad frame).
    static let maxBytesMessage = 1 << 36

    /// `root`'s bytes, on every rank (the others' `bytes` are ignored).
    public func broadcast(bytes: [UInt8], from root: Int, timeout: Duration? = nil) throws -> CollectiveWork<[UInt8]> {
        try checkRank(root, op: "broadcast")
        let operation = Operation(opcode: .broadcast, name: "broadcast(bytes)", root: root)
        return enqueue(operation, timeout: timeout) { context, _ in
            var length = [Int64(bytes.count)]
            try length.withUnsafeMutableBytes { try Broadcast.run(context, buffer: $0, root: root) }
            var output = context.rank == root ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
            try output.withUnsafeMutableBytes { try Broadcast.run(context.counting($0.count), buffer: $0, root: root) }
            return output
        }
    }

    /// Every rank's bytes, in rank order, on every rank.
    public func allGather(bytes: [UInt8], timeout: Duration? = nil) throws -> CollectiveWork<[[UInt8]]> {
        let operation = Operation(opcode: .allGather, name: "allGather(bytes)")
        let world = worldSize
        return enqueue(operation, timeout: timeout) { context, _ in
            let rank = context.rank
            var lengths = [Int64](repeating: 0, count: world)
            lengths[rank] = Int64(bytes.count)
            try lengths.withUnsafeMutableBytes { buffer in
                let layout = BlockLayout(count: world, parts: world, elementSize: 8)
                try RingAllGather.circulate(context, buffer: buffer, layout: layout, firstOwned: rank)
            }
            // Every block padded to the longest, so the ring moves equal blocks.
            let longest = Int(lengths.max() ?? 0)
            var blocks = [UInt8](repeating: 0, count: longest * world)
            blocks.replaceSubrange(rank * longest..<rank * longest + bytes.count, with: bytes)
            try blocks.withUnsafeMutableBytes { buffer in
                let layout = BlockLayout(count: longest * world, parts: world, elementSize: 1)
                try RingAllGather.circulate(
                    context.counting(longest), buffer: buffer, layout: layout, firstOwned: rank)
            }
            return (0..<world).map { Array(blocks[$0 * longest..<$0 * longest + Int(lengths[$0])]) }
        }
    }

    /// Sends `bytes` to `peer`, which receives them with `receive(bytesFrom:)`.
    public func send(bytes: [UInt8], to peer: Int, timeout: Duration? = nil) throws -> CollectiveWork<Void> {
        try checkPeer(peer, op: "send")
        let operation = Operation(
            opcode: .send, name: "send(bytes) to rank \(peer)", root: rank, peer: peer, sends: true)
        return enqueue(operation, timeout: timeout) { context, _ in
            try withUnsafeBytes(of: Int64(bytes.count).littleEndian) {
                try context.exchange(sending: [(peer, $0)], receiving: [])
            }
            try bytes.withUnsafeBytes {
                try context.counting(bytes.count).exchange(sending: [(peer, $0)], receiving: [])
            }
        }
    }

    /// Receives the bytes `peer` sends with `send(bytes:to:)`.
    public func receive(bytesFrom peer: Int, timeout: Duration? = nil) throws -> CollectiveWork<[UInt8]> {
        try checkPeer(peer, op: "receive")
        let operation = Operation(opcode: .send, name: "receive(bytes) from rank \(peer)", root: peer, peer: peer)
        return enqueue(operation, timeout: timeout) { context, _ in
            var length: Int64 = 0
            try withUnsafeMutableBytes(of: &length) {
                try context.exchange(sending: [], receiving: [context.incoming(from: peer, into: $0)])
            }
            let count = Int(Int64(littleEndian: length))
            guard (0...Self.maxBytesMessage).contains(count) else {
                throw TransportFailure.badFrame(peer: peer, reason: "announced \(count) bytes")
            }
            var output = [UInt8](repeating: 0, count: count)
            try output.withUnsafeMutableBytes { buffer in
                let data = context.counting(count)
                try data.exchange(sending: [], receiving: [data.incoming(from: peer, into: buffer)])
            }
            return output
        }
    }
}
