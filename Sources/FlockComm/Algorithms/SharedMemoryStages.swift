/// The pattern the shared-memory broadcast, all-gather and reduce-scatter share: a message
/// in pieces of at most one slot; for each piece, every rank stages what the others need
/// into its own slot, all pass a barrier, and each rank reads what it needs out of the
/// peers' slots. The first barrier goes over TCP (it carries the operation's header, so a
/// mismatched call is reported, and it waits for late peers without burning a core), the
/// rest through shared memory (`SharedMemoryBarrier`).
///
/// Slots rotate over `SharedMemoryWindow.slotsPerRank` sets, continuing across calls. A
/// rank overwrites piece p's set only when staging piece p + 3, after passing the barriers
/// of pieces p + 1 and p + 2, which every rank reaches only after reading piece p, so no
/// slot is rewritten while someone still reads it. A rank with nothing to read (the root
/// of a broadcast) stages the next piece while the others read, so the copies pipeline.
enum SharedMemoryStages {
    /// Runs `pieces` (at least one) stages: `stage(piece, slot)` fills this rank's slot for the piece,
    /// `collect(piece, slotIndex)` reads the peers' (`window.slot(slotIndex, of: peer)`).
    static func run(
        _ context: CollectiveContext, window: SharedMemoryWindow, pieces: Int,
        stage: (Int, UnsafeMutableRawBufferPointer) -> Void, collect: (Int, Int) -> Void
    ) throws {
        for piece in 0..<pieces {
            let slot = window.takeSlot()
            stage(piece, window.slot(slot, of: context.rank))
            if piece == 0 {
                try DisseminationBarrier.run(context)
            } else {
                try SharedMemoryBarrier.run(context, window: window)
            }
            collect(piece, slot)
        }
    }

    /// Broadcast, root's side: stages each piece of `message` (read only) while the others
    /// copy out the one before.
    static func broadcast(
        _ context: CollectiveContext, sending message: UnsafeRawBufferPointer, root: Int, window: SharedMemoryWindow
    ) throws {
        let pieces = Pieces(bytes: message.count, pieceBytes: window.slotBytes)
        try run(
            context, window: window, pieces: pieces.count,
            stage: { piece, slot in
                slot.copyMemory(from: UnsafeRawBufferPointer(rebasing: message[pieces.range(piece)]))
            },
            collect: { _, _ in })
    }

    /// Broadcast, the other ranks' side: copies each piece out of root's slot into `output`.
    static func broadcast(
        _ context: CollectiveContext, receiving output: UnsafeMutableRawBufferPointer, root: Int,
        window: SharedMemoryWindow
    ) throws {
        let pieces = Pieces(bytes: output.count, pieceBytes: window.slotBytes)
        try run(
            context, window: window, pieces: pieces.count, stage: { _, _ in },
            collect: { piece, slot in
                let bytes = pieces.range(piece)
                output[bytes: bytes].copyMemory(
                    from: UnsafeRawBufferPointer(window.slot(slot, of: root)[bytes: 0..<bytes.count]))
            })
    }

    /// All-gather of every rank's `input` into `output` at `layout`: each piece of this
    /// rank's input is copied into its slot and from there (still in cache) into its place
    /// in `output`; after the barrier the peers' pieces are copied into theirs.
    static func allGather(
        _ context: CollectiveContext, input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer,
        layout: BlockLayout, window: SharedMemoryWindow
    ) throws {
        let pieces = Pieces(bytes: input.count, pieceBytes: window.slotBytes)
        let own = layout.bytes(of: context.rank).lowerBound
        try run(
            context, window: window, pieces: pieces.count,
            stage: { piece, slot in
                let bytes = pieces.range(piece)
                let staged = slot[bytes: 0..<bytes.count]
                staged.copyMemory(from: UnsafeRawBufferPointer(rebasing: input[bytes]))
                output[bytes: bytes.shifted(by: own)].copyMemory(from: UnsafeRawBufferPointer(staged))
            },
            collect: { piece, slot in
                let bytes = pieces.range(piece)
                for peer in 0..<context.size where peer != context.rank && !bytes.isEmpty {
                    output[bytes: bytes.shifted(by: layout.bytes(of: peer).lowerBound)].copyMemory(
                        from: UnsafeRawBufferPointer(window.slot(slot, of: peer)[bytes: 0..<bytes.count]))
                }
            })
    }

    /// Reduce-scatter of `input` (worldSize equal blocks) into `output` (this rank's
    /// block, reduced). Each piece covers the same element range of every block: a rank
    /// stages its part of each peer's block, side by side in its slot (the n - 1 parts fill
    /// it, so pieces are as large as a slot allows: the barriers between them cost more
    /// than the copies at world 4 on 2 cores), and then reduces its own block's part across
    /// all ranks in rank order, so runs repeat bit for bit.
    static func reduceScatter(
        _ context: CollectiveContext, input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer,
        type: WireType, op: ReduceOp, window: SharedMemoryWindow
    ) throws {
        let (rank, n) = (context.rank, context.size)
        let blockBytes = output.count
        let pieces = Pieces(
            bytes: blockBytes, pieceBytes: max(1, window.slotBytes / (n - 1) / type.byteSize) * type.byteSize)
        /// Where, in `staging`'s slot, the part for rank `receiver` sits (its own is not staged).
        func position(of receiver: Int, stagedBy staging: Int) -> Int { receiver < staging ? receiver : receiver - 1 }
        try run(
            context, window: window, pieces: pieces.count,
            stage: { piece, slot in
                let bytes = pieces.range(piece)
                for peer in 0..<n where peer != rank {
                    let start = position(of: peer, stagedBy: rank) * bytes.count
                    slot[bytes: start..<start + bytes.count].copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: input[bytes.shifted(by: peer * blockBytes)]))
                }
            },
            collect: { piece, slot in
                let bytes = pieces.range(piece)
                guard !bytes.isEmpty else { return }
                func source(_ peer: Int) -> UnsafeRawPointer {
                    peer == rank
                        ? input.baseAddress! + rank * blockBytes + bytes.lowerBound
                        : UnsafeRawPointer(
                            window.slot(slot, of: peer).baseAddress! + position(of: rank, stagedBy: peer) * bytes.count)
                }
                let target = output.baseAddress! + bytes.lowerBound
                let count = bytes.count / type.byteSize
                combine(into: target, source(0), source(1), count: count, type: type, op: op)
                for peer in 2..<max(2, n) { combine(target, source(peer), count: count, type: type, op: op) }
            })
    }
}

/// A message of `bytes` cut into pieces of `pieceBytes` (the last one shorter; one empty
/// piece for an empty message, so every rank still meets the barrier).
private struct Pieces {
    let bytes: Int
    let pieceBytes: Int

    var count: Int { max(1, (bytes + pieceBytes - 1) / pieceBytes) }

    func range(_ piece: Int) -> Range<Int> { min(bytes, piece * pieceBytes)..<min(bytes, (piece + 1) * pieceBytes) }
}
