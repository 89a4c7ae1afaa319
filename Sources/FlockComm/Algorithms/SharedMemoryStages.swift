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
    /// Runs `pieces` stages: `stage(piece, slot)` fills this rank's slot for the piece,
    /// `collect(piece, slotIndex)` reads the peers' (`window.slot(slotIndex, of: peer)`).
    static func run(
        _ context: CollectiveContext, window: SharedMemoryWindow, pieces: Int,
        stage: (Int, UnsafeMutableRawBufferPointer) -> Void, collect: (Int, Int) -> Void
    ) throws {
        for piece in 0..<max(1, pieces) {
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

    /// Broadcast of `buffer` from `root`: root stages each piece, the others copy it out.
    static func broadcast(
        _ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, root: Int, window: SharedMemoryWindow
    ) throws {
        let pieceBytes = window.slotBytes
        func range(_ piece: Int) -> Range<Int> { piece * pieceBytes..<min(buffer.count, (piece + 1) * pieceBytes) }
        try run(
            context, window: window, pieces: (buffer.count + pieceBytes - 1) / pieceBytes,
            stage: { piece, slot in
                guard context.rank == root else { return }
                slot.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[range(piece)]))
            },
            collect: { piece, slot in
                guard context.rank != root else { return }
                let bytes = range(piece)
                buffer[bytes: bytes].copyMemory(
                    from: UnsafeRawBufferPointer(window.slot(slot, of: root)[bytes: 0..<bytes.count]))
            })
    }

    /// All-gather: `buffer` holds every rank's block at `layout` (this rank's filled in);
    /// each rank stages pieces of its block, the others copy them into place.
    static func allGather(
        _ context: CollectiveContext, buffer: UnsafeMutableRawBufferPointer, layout: BlockLayout,
        window: SharedMemoryWindow
    ) throws {
        let own = layout.bytes(of: context.rank)
        let pieceBytes = window.slotBytes
        try run(
            context, window: window, pieces: (own.count + pieceBytes - 1) / pieceBytes,
            stage: { piece, slot in
                let start = own.lowerBound + piece * pieceBytes
                let bytes = start..<min(own.upperBound, start + pieceBytes)
                slot.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[bytes]))
            },
            collect: { piece, slot in
                for peer in 0..<context.size where peer != context.rank {
                    let block = layout.bytes(of: peer)
                    let start = block.lowerBound + piece * pieceBytes
                    let bytes = start..<min(block.upperBound, start + pieceBytes)
                    guard !bytes.isEmpty else { continue }
                    buffer[bytes: bytes].copyMemory(
                        from: UnsafeRawBufferPointer(window.slot(slot, of: peer)[bytes: 0..<bytes.count]))
                }
            })
    }

    /// Reduce-scatter of `input` (worldSize equal blocks) into `output` (this rank's
    /// block, reduced). Each piece covers the same element range of every block: a rank
    /// stages its part of each peer's block, side by side in its slot, and then reduces its
    /// own block's part across all ranks in rank order, so runs repeat bit for bit.
    static func reduceScatter(
        _ context: CollectiveContext, input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer,
        type: WireType, op: ReduceOp, window: SharedMemoryWindow
    ) throws {
        let (rank, n) = (context.rank, context.size)
        let blockBytes = output.count
        let pieceBytes = max(1, window.slotBytes / n / type.byteSize) * type.byteSize
        func range(_ piece: Int) -> Range<Int> { piece * pieceBytes..<min(blockBytes, (piece + 1) * pieceBytes) }
        try run(
            context, window: window, pieces: (blockBytes + pieceBytes - 1) / pieceBytes,
            stage: { piece, slot in
                let bytes = range(piece)
                for peer in 0..<n where peer != rank {
                    slot[bytes: peer * bytes.count..<(peer + 1) * bytes.count].copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: input[bytes.shifted(by: peer * blockBytes)]))
                }
            },
            collect: { piece, slot in
                let bytes = range(piece)
                guard !bytes.isEmpty else { return }
                func source(_ peer: Int) -> UnsafeRawPointer {
                    peer == rank
                        ? input.baseAddress! + rank * blockBytes + bytes.lowerBound
                        : UnsafeRawPointer(window.slot(slot, of: peer).baseAddress! + rank * bytes.count)
                }
                let target = output.baseAddress! + bytes.lowerBound
                let count = bytes.count / type.byteSize
                combine(into: target, source(0), source(1), count: count, type: type, op: op)
                for peer in 2..<max(2, n) { combine(target, source(peer), count: count, type: type, op: op) }
            })
    }
}

extension Range<Int> {
    /// This range moved by `offset`.
    fileprivate func shifted(by offset: Int) -> Range<Int> { lowerBound + offset..<upperBound + offset }
}
