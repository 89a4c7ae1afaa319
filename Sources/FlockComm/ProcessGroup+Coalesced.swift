import FlockTensor

extension ProcessGroup {
    /// Combines every rank's `tensors` element-wise with `op`, as one all-reduce of their
    /// concatenation, and returns that flat result (`[total count]`, the tensors' shared
    /// dtype) on every rank. Each rank passes the same dtypes and counts, in the same
    /// order. Where the group has shared memory the tensors are read in place (no
    /// concatenation copy), which is how data-parallel training averages a bucket of
    /// gradients; over TCP they are concatenated first. Same reduction order and results
    /// as `allReduce` of the concatenation.
    /// - Throws: `CommError.invalidArgument` for no tensors, mixed dtypes, or `.mean` of
    ///   integers.
    public func allReduceCoalesced(_ tensors: [Tensor], op: ReduceOp = .sum, timeout: Duration? = nil) throws
        -> CollectiveWork<Tensor>
    {
        guard let first = tensors.first else {
            throw CommError.invalidArgument(op: "allReduceCoalesced", reason: "no tensors to reduce")
        }
        let type = try reducible(first, op: op, name: "allReduceCoalesced")
        if let other = tensors.first(where: { $0.dtype != first.dtype }) {
            throw CommError.invalidArgument(
                op: "allReduceCoalesced", reason: "the tensors mix \(first.dtype) and \(other.dtype)")
        }
        let total = tensors.reduce(0) { $0 + $1.count }
        let world = worldSize
        let window = sharedMemory
        // The same operation as `allReduce` of the concatenation, so the ranks' headers agree.
        let operation = Operation(opcode: .allReduce, name: "allReduce", type: type, reduce: op, count: total)
        return enqueue(operation, timeout: timeout) { context, scratch in
            guard let window, total * type.byteSize > CollectiveThresholds.recursiveDoublingLimit else {
                let flat = try Tensor.concatenate(tensors.map { try $0.reshaped([$0.count]) }, axis: 0)
                return try Self.allReduceOverTCP(
                    flat, context: context, scratch: scratch, type: type, op: op, world: world)
            }
            var output = Tensor(uninitializedShape: [total], dtype: first.dtype)
            try Self.withBytes(of: tensors[...]) { parts in
                try output.withUnsafeMutableBytes { buffer in
                    try SharedMemoryAllReduce.run(
                        context, input: ReduceInput(parts), output: buffer, type: type, op: op, window: window)
                }
            }
            return output
        }
    }

    /// Calls `body` with every tensor's contiguous bytes, all valid at once.
    private static func withBytes<R>(
        of tensors: ArraySlice<Tensor>, _ body: ([UnsafeRawBufferPointer]) throws -> R
    ) throws -> R {
        guard let first = tensors.first else { return try body([]) }
        return try first.withUnsafeBytes { bytes in
            try withBytes(of: tensors.dropFirst()) { rest in try body([bytes] + rest) }
        }
    }
}
