/// All-reduce through shared memory, for groups whose ranks share a host
/// (`SharedMemoryWindow`). The message is processed in pieces of one slot:
///
/// 1. each rank copies its piece into its own slot (all but its own block, which it
///    reduces straight from its input);
/// 2. barrier (the call's first over TCP, the others through flags in shared memory;
///    both notice dead peers and timeouts);
/// 3. each rank copies the previous piece's blocks, reduced by the others, out of their
///    slots; then rank r reduces block r of this piece across all ranks' slots, in rank
///    order, into its output and back into its own slot for the others.
///
/// After the last piece, one more barrier and its copy-out. Each byte crosses memory a
/// few times instead of twice through the kernel per ring step, and there are
/// pieces + 1 barriers. Slots rotate over three sets, continuing from one call to the
/// next: when a rank writes piece p + 1, the set it overwrites (piece p - 2) has been read
/// by everyone, because they all passed the barrier of piece p, which they reach only
/// after copying out piece p - 2.
///
/// Reduction order: element i is `x_0 op x_1 op ... op x_{n-1}`, computed by the one rank
/// owning its block, so every rank holds the same bits and runs repeat bit for bit.
enum SharedMemoryAllReduce {
    /// Reduces every rank's `input` into `output` (same length; they may not overlap).
    /// `.mean` divides each block by the world size while it is in cache, so the output
    /// is final (the callers divide no more).
    static func run(
        _ context: CollectiveContext, input: ReduceInput, output: UnsafeMutableRawBufferPointer,
        type: WireType, op: ReduceOp, window: SharedMemoryWindow
    ) throws {
        let (rank, n) = (context.rank, context.size)
        let pieceBytes = window.slotBytes / type.byteSize * type.byteSize
        let pieces = (input.count + pieceBytes - 1) / pieceBytes
        var previous: Piece?
        for index in 0..<pieces {
            let bytes = index * pieceBytes..<min(input.count, (index + 1) * pieceBytes)
            let piece = Piece(
                slot: window.takeSlot(), bytes: bytes,
                layout: BlockLayout(count: bytes.count / type.byteSize, parts: n, elementSize: type.byteSize))
            let block = piece.layout.bytes(of: rank)
            let staged = window.slot(piece.slot, of: rank)
            // This rank reads its own block from `input` when it lies in one part; else it
            // stages it too and reads it from its slot (which the reduced block overwrites).
            let own = block.isEmpty ? nil : input.contiguous(block.shifted(by: bytes.lowerBound))
            if own != nil || block.isEmpty {
                input.copy(bytes.lowerBound..<bytes.lowerBound + block.lowerBound, to: staged.baseAddress!)
                input.copy(
                    bytes.lowerBound + block.upperBound..<bytes.upperBound, to: staged.baseAddress! + block.upperBound)
            } else {
                input.copy(bytes, to: staged.baseAddress!)
            }
            try barrier(context, window: window, first: index == 0)
            if let previous { previous.copyOut(from: window, into: output, rank: rank, size: n) }
            if !block.isEmpty {
                let reduced = output[bytes: bytes][bytes: block]
                let count = block.count / type.byteSize
                func source(_ peer: Int) -> UnsafeRawPointer {
                    peer == rank
                        ? own ?? UnsafeRawPointer(staged.baseAddress! + block.lowerBound)
                        : UnsafeRawPointer(window.slot(piece.slot, of: peer).baseAddress! + block.lowerBound)
                }
                combine(into: reduced.baseAddress!, source(0), source(1), count: count, type: type, op: op)
                for peer in 2..<n {
                    combine(reduced.baseAddress!, source(peer), count: count, type: type, op: op)
                }
                if op == .mean { divide(reduced.baseAddress!, count: count, type: type, by: n) }
                staged[bytes: block].copyMemory(from: UnsafeRawBufferPointer(reduced))
            }
            previous = piece
        }
        try barrier(context, window: window, first: false)
        if let previous { previous.copyOut(from: window, into: output, rank: rank, size: n) }
    }

    /// The call's first barrier goes over TCP: its messages carry the operation's header,
    /// so a rank that called another collective (or another size) is reported as a
    /// mismatch rather than read from, and poll waits for late peers without burning a
    /// core. The rest go through shared memory, as every rank is then inside this call.
    private static func barrier(_ context: CollectiveContext, window: SharedMemoryWindow, first: Bool) throws {
        if first {
            try DisseminationBarrier.run(context)
        } else {
            try SharedMemoryBarrier.run(context, window: window)
        }
    }

    /// One staged piece of the message: its slot set, its bytes in the message, and the
    /// blocks each rank reduces.
    private struct Piece {
        let slot: Int
        let bytes: Range<Int>
        let layout: BlockLayout

        /// Copies the blocks the other ranks reduced out of their slots.
        func copyOut(
            from window: SharedMemoryWindow, into output: UnsafeMutableRawBufferPointer, rank: Int, size n: Int
        ) {
            let piece = output[bytes: bytes]
            for peer in 0..<n where peer != rank {
                let block = layout.bytes(of: peer)
                piece[bytes: block].copyMemory(from: UnsafeRawBufferPointer(window.slot(slot, of: peer)[bytes: block]))
            }
        }
    }
}

/// The bytes an all-reduce reads: one buffer, or the tensors of a coalesced call one after
/// another, read in place (no concatenation copy).
struct ReduceInput {
    let parts: [UnsafeRawBufferPointer]
    /// Where each part starts in the concatenation.
    private let starts: [Int]
    /// Bytes in all.
    let count: Int

    init(_ parts: [UnsafeRawBufferPointer]) {
        self.parts = parts
        var offset = 0
        starts = parts.map { part in
            defer { offset += part.count }
            return offset
        }
        count = offset
    }

    init(_ buffer: UnsafeRawBufferPointer) { self.init([buffer]) }

    /// Copies bytes `range` of the concatenation to `destination`.
    func copy(_ range: Range<Int>, to destination: UnsafeMutableRawPointer) {
        guard !range.isEmpty else { return }
        for (part, start) in zip(parts, starts) where start < range.upperBound && start + part.count > range.lowerBound
        {
            let from = max(range.lowerBound, start)
            let to = min(range.upperBound, start + part.count)
            // Invariant: from < to, so the part is not empty and has a base address.
            (destination + (from - range.lowerBound)).copyMemory(
                from: part.baseAddress! + (from - start), byteCount: to - from)
        }
    }

    /// The address of bytes `range` when they lie in one part.
    func contiguous(_ range: Range<Int>) -> UnsafeRawPointer? {
        guard let index = starts.lastIndex(where: { $0 <= range.lowerBound }),
            range.upperBound <= starts[index] + parts[index].count, let base = parts[index].baseAddress
        else { return nil }
        return base + (range.lowerBound - starts[index])
    }
}
