import FlockTensor

/// The collectives on tensors (float32, float64, int32, int64). Each call checks its
/// arguments at once (throwing `CommError.invalidArgument`), queues the operation and
/// returns its pending result; inputs are captured at the call (later changes to the
/// caller's tensor do not affect it).
extension ProcessGroup {
    /// Combines every rank's `tensor` element-wise with `op`; every rank gets the result.
    /// `.mean` needs a floating-point tensor. Results are bitwise identical on all ranks
    /// and across runs (fixed reduction order, see `RingAllReduce` and `SharedMemoryAllReduce`).
    public func allReduce(_ tensor: Tensor, op: ReduceOp = .sum, timeout: Duration? = nil) throws
        -> CollectiveWork<Tensor>
    {
        let type = try reducible(tensor, op: op, name: "allReduce")
        let world = worldSize
        let window = sharedMemory
        let operation = Operation(opcode: .allReduce, name: "allReduce", type: type, reduce: op, count: tensor.count)
        return enqueue(operation, timeout: timeout) { context, scratch in
            if let window, tensor.count * type.byteSize > CollectiveThresholds.recursiveDoublingLimit {
                var output = Tensor(uninitializedShape: tensor.shape, dtype: tensor.dtype)
                try tensor.withUnsafeBytes { input in
                    try output.withUnsafeMutableBytes { buffer in
                        try SharedMemoryAllReduce.run(
                            context, input: ReduceInput(input), output: buffer, type: type, op: op, window: window)
                    }
                }
                return output  // .mean divided already
            }
            return try Self.allReduceOverTCP(
                tensor, context: context, scratch: scratch, type: type, op: op, world: world)
        }
    }

    /// All-reduce on the TCP mesh: recursive doubling up to its limit, else the ring.
    static func allReduceOverTCP(
        _ tensor: Tensor, context: CollectiveContext, scratch: ScratchBuffer, type: WireType, op: ReduceOp, world: Int
    ) throws -> Tensor {
        var output = tensor
        try output.withUnsafeMutableBytes { buffer in
            if buffer.count <= CollectiveThresholds.recursiveDoublingLimit {
                try RecursiveDoublingAllReduce.run(
                    context, buffer: buffer, type: type, op: op, scratch: scratch.bytes(buffer.count))
            } else {
                let segment = (tensor.count + world - 1) / world * type.byteSize
                try RingAllReduce.run(context, buffer: buffer, type: type, op: op, scratch: scratch.bytes(segment))
            }
        }
        return op == .mean ? try output / Double(world) : output
    }

    /// Sends `root`'s tensor to every rank; the others pass a tensor of the same shape
    /// and dtype (its values are ignored) and get root's.
    public func broadcast(_ tensor: Tensor, from root: Int, timeout: Duration? = nil) throws -> CollectiveWork<Tensor> {
        let type = try WireType(tensor.dtype, op: "broadcast")
        try checkRank(root, op: "broadcast")
        let operation = Operation(opcode: .broadcast, name: "broadcast", type: type, count: tensor.count, root: root)
        let window = sharedMemory
        return enqueue(operation, timeout: timeout) { context, _ in
            if let window, tensor.count * type.byteSize > CollectiveThresholds.sharedMemoryMinimumBytes {
                // Root only reads its tensor; the others fill a new one (no copy of the input).
                guard context.rank != root else {
                    try tensor.withUnsafeBytes {
                        try SharedMemoryStages.broadcast(context, sending: $0, root: root, window: window)
                    }
                    return tensor
                }
                var output = Tensor(uninitializedShape: tensor.shape, dtype: tensor.dtype)
                try output.withUnsafeMutableBytes {
                    try SharedMemoryStages.broadcast(context, receiving: $0, root: root, window: window)
                }
                return output
            }
            var output = tensor
            try output.withUnsafeMutableBytes { try Broadcast.run(context, buffer: $0, root: root) }
            return output
        }
    }

    /// Combines every rank's `tensor` with `op` onto `root`; root gets the result, the
    /// other ranks get their input back.
    public func reduce(_ tensor: Tensor, to root: Int, op: ReduceOp = .sum, timeout: Duration? = nil) throws
        -> CollectiveWork<Tensor>
    {
        let type = try reducible(tensor, op: op, name: "reduce")
        try checkRank(root, op: "reduce")
        let world = worldSize
        let operation = Operation(
            opcode: .reduce, name: "reduce", type: type, reduce: op, count: tensor.count, root: root)
        return enqueue(operation, timeout: timeout) { context, scratch in
            var output = tensor
            try output.withUnsafeMutableBytes { buffer in
                try TreeReduce.run(
                    context, buffer: buffer, type: type, op: op, root: root, scratch: scratch.bytes(buffer.count))
            }
            guard context.rank == root else { return tensor }
            return op == .mean ? try output / Double(world) : output
        }
    }

    /// Every rank's `tensor` (same shape everywhere), stacked in rank order:
    /// shape [worldSize] + tensor.shape, on every rank.
    public func allGather(_ tensor: Tensor, timeout: Duration? = nil) throws -> CollectiveWork<Tensor> {
        let type = try WireType(tensor.dtype, op: "allGather")
        let operation = Operation(opcode: .allGather, name: "allGather", type: type, count: tensor.count)
        let world = worldSize
        let window = sharedMemory
        return enqueue(operation, timeout: timeout) { context, _ in
            var output = Tensor(uninitializedShape: [world] + tensor.shape, dtype: tensor.dtype)
            let layout = BlockLayout(count: world * tensor.count, parts: world, elementSize: type.byteSize)
            try output.withUnsafeMutableBytes { buffer in
                if let window, buffer.count > CollectiveThresholds.sharedMemoryMinimumBytes {
                    try tensor.withUnsafeBytes {
                        try SharedMemoryStages.allGather(
                            context, input: $0, output: buffer, layout: layout, window: window)
                    }
                } else {
                    tensor.withUnsafeBytes { buffer[bytes: layout.bytes(of: context.rank)].copyMemory(from: $0) }
                    try RingAllGather.circulate(context, buffer: buffer, layout: layout, firstOwned: context.rank)
                }
            }
            return output
        }
    }

    /// Reduces every rank's `tensor` with `op` and gives rank r the r-th of worldSize
    /// equal slices along the first axis (which worldSize must divide).
    public func reduceScatter(_ tensor: Tensor, op: ReduceOp = .sum, timeout: Duration? = nil) throws
        -> CollectiveWork<Tensor>
    {
        let type = try reducible(tensor, op: op, name: "reduceScatter")
        let sliceShape = try slices(of: tensor, op: "reduceScatter")
        let world = worldSize
        let operation = Operation(
            opcode: .reduceScatter, name: "reduceScatter", type: type, reduce: op, count: tensor.count)
        let window = sharedMemory
        return enqueue(operation, timeout: timeout) { context, scratch in
            var output = Tensor(uninitializedShape: sliceShape, dtype: tensor.dtype)
            if let window, tensor.count * type.byteSize > CollectiveThresholds.sharedMemoryMinimumBytes {
                try tensor.withUnsafeBytes { input in
                    try output.withUnsafeMutableBytes { buffer in
                        try SharedMemoryStages.reduceScatter(
                            context, input: input, output: buffer, type: type, op: op, window: window)
                    }
                }
                return op == .mean ? try output / Double(world) : output
            }
            var work = tensor
            let layout = BlockLayout(count: tensor.count, parts: world, elementSize: type.byteSize)
            try work.withUnsafeMutableBytes { buffer in
                try RingReduceScatter.run(
                    context, buffer: buffer, type: type, op: op, scratch: scratch.bytes(buffer.count / world))
                output.withUnsafeMutableBytes {
                    $0.copyMemory(from: UnsafeRawBufferPointer(buffer[bytes: layout.bytes(of: context.rank)]))
                }
            }
            return op == .mean ? try output / Double(world) : output
        }
    }

    /// Every rank's `tensor`, stacked in rank order on `root` ([worldSize] + shape); nil
    /// on the other ranks.
    public func gather(_ tensor: Tensor, to root: Int, timeout: Duration? = nil) throws -> CollectiveWork<Tensor?> {
        let type = try WireType(tensor.dtype, op: "gather")
        try checkRank(root, op: "gather")
        let world = worldSize
        let operation = Operation(opcode: .gather, name: "gather", type: type, count: tensor.count, root: root)
        return enqueue(operation, timeout: timeout) { context, _ in
            guard context.rank == root else {
                try tensor.withUnsafeBytes { try context.exchange(sending: [(root, $0)], receiving: []) }
                return nil
            }
            let layout = BlockLayout(count: world * tensor.count, parts: world, elementSize: type.byteSize)
            var output = Tensor(uninitializedShape: [world] + tensor.shape, dtype: tensor.dtype)
            try output.withUnsafeMutableBytes { buffer in
                tensor.withUnsafeBytes { buffer[bytes: layout.bytes(of: root)].copyMemory(from: $0) }
                try DirectExchange.gather(context, into: buffer, layout: layout)
            }
            return output
        }
    }

    /// Rank r receives slice r of `root`'s `tensor` (shape [worldSize] + `shape`); the
    /// other ranks pass nil and say which `shape` and `dtype` they expect.
    public func scatter(_ tensor: Tensor?, from root: Int, shape: [Int], dtype: DType, timeout: Duration? = nil) throws
        -> CollectiveWork<Tensor>
    {
        let type = try WireType(dtype, op: "scatter")
        try checkRank(root, op: "scatter")
        let world = worldSize
        if rank == root {
            guard let tensor, tensor.shape == [world] + shape, tensor.dtype == dtype else {
                throw CommError.invalidArgument(
                    op: "scatter", reason: "root must pass a \(dtype) tensor of shape \([world] + shape)")
            }
        }
        let count = shape.reduce(1, *)
        let operation = Operation(opcode: .scatter, name: "scatter", type: type, count: count, root: root)
        return enqueue(operation, timeout: timeout) { context, _ in
            var output = Tensor(uninitializedShape: shape, dtype: dtype)
            try output.withUnsafeMutableBytes { own in
                if context.rank == root, let tensor {
                    let layout = BlockLayout(count: world * count, parts: world, elementSize: type.byteSize)
                    try tensor.withUnsafeBytes { blocks in
                        own.copyMemory(from: UnsafeRawBufferPointer(rebasing: blocks[layout.bytes(of: root)]))
                        try DirectExchange.scatter(context, from: blocks, layout: layout)
                    }
                } else {
                    try context.exchange(sending: [], receiving: [context.incoming(from: root, into: own)])
                }
            }
            return output
        }
    }

    /// Slice j of this rank's `tensor` (along the first axis, which worldSize must
    /// divide) goes to rank j; slice j of the result came from rank j.
    public func allToAll(_ tensor: Tensor, timeout: Duration? = nil) throws -> CollectiveWork<Tensor> {
        let type = try WireType(tensor.dtype, op: "allToAll")
        _ = try slices(of: tensor, op: "allToAll")
        let world = worldSize
        let operation = Operation(opcode: .allToAll, name: "allToAll", type: type, count: tensor.count)
        return enqueue(operation, timeout: timeout) { context, _ in
            var output = Tensor(uninitializedShape: tensor.shape, dtype: tensor.dtype)
            let layout = BlockLayout(count: tensor.count, parts: world, elementSize: type.byteSize)
            try tensor.withUnsafeBytes { input in
                try output.withUnsafeMutableBytes {
                    try DirectExchange.allToAll(context, input: input, output: $0, layout: layout)
                }
            }
            return output
        }
    }

    /// Completes when every rank has called it.
    public func barrier(timeout: Duration? = nil) -> CollectiveWork<Void> {
        enqueue(Operation(opcode: .barrier, name: "barrier"), timeout: timeout) { context, _ in
            try DisseminationBarrier.run(context)
        }
    }

    /// Sends `tensor` to `peer`, which must call `receive(from:)` with its shape and dtype.
    public func send(_ tensor: Tensor, to peer: Int, timeout: Duration? = nil) throws -> CollectiveWork<Void> {
        let type = try WireType(tensor.dtype, op: "send")
        try checkPeer(peer, op: "send")
        let operation = Operation(
            opcode: .send, name: "send to rank \(peer)", type: type, count: tensor.count, root: rank, peer: peer,
            sends: true)
        return enqueue(operation, timeout: timeout) { context, _ in
            try tensor.withUnsafeBytes { try context.exchange(sending: [(peer, $0)], receiving: []) }
        }
    }

    /// Receives a tensor of `shape` and `dtype` that `peer` sends with `send(_:to:)`.
    public func receive(from peer: Int, shape: [Int], dtype: DType, timeout: Duration? = nil) throws
        -> CollectiveWork<Tensor>
    {
        let type = try WireType(dtype, op: "receive")
        try checkPeer(peer, op: "receive")
        let operation = Operation(
            opcode: .send, name: "receive from rank \(peer)", type: type, count: shape.reduce(1, *), root: peer,
            peer: peer)
        return enqueue(operation, timeout: timeout) { context, _ in
            var output = Tensor(uninitializedShape: shape, dtype: dtype)
            try output.withUnsafeMutableBytes {
                try context.exchange(sending: [], receiving: [context.incoming(from: peer, into: $0)])
            }
            return output
        }
    }

    // MARK: Argument checks

    func reducible(_ tensor: Tensor, op: ReduceOp, name: String) throws -> WireType {
        let type = try WireType(tensor.dtype, op: name)
        if op == .mean && !tensor.dtype.isFloatingPoint {
            throw CommError.invalidArgument(op: name, reason: "mean needs a floating-point tensor, not \(tensor.dtype)")
        }
        return type
    }

    func checkRank(_ root: Int, op: String) throws {
        guard (0..<worldSize).contains(root) else {
            throw CommError.invalidArgument(op: op, reason: "rank \(root) is not in 0..<\(worldSize)")
        }
    }

    func checkPeer(_ peer: Int, op: String) throws {
        try checkRank(peer, op: op)
        guard peer != rank else { throw CommError.invalidArgument(op: op, reason: "a rank cannot \(op) itself") }
    }

    /// The shape of one of worldSize slices along the first axis.
    private func slices(of tensor: Tensor, op: String) throws -> [Int] {
        guard tensor.rank >= 1, tensor.shape[0] % worldSize == 0 else {
            throw CommError.invalidArgument(
                op: op,
                reason: "the first axis of shape \(tensor.shape) must be divisible by the world size \(worldSize)")
        }
        return [tensor.shape[0] / worldSize] + tensor.shape.dropFirst()
    }
}
