extension Tensor {
    /// Joins tensors along an existing axis; dtypes are promoted to a common one.
    /// - Throws: on an empty list, differing ranks, or sizes that differ off `axis`.
    public static func concatenate(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = tensors.first else {
            throw TensorError.invalidArgument(op: "concatenate", reason: "needs at least one tensor")
        }
        let axis = try normalizeAxis(axis, rank: first.rank, op: "concatenate")
        for tensor in tensors.dropFirst() {
            guard tensor.rank == first.rank,
                (0..<first.rank).allSatisfy({ $0 == axis || tensor.shape[$0] == first.shape[$0] })
            else {
                throw TensorError.shapeMismatch(
                    op: "concatenate", lhs: first.shape, rhs: tensor.shape,
                    reason: "all sizes except along axis \(axis) must match")
            }
        }
        let dtype = tensors.dropFirst().reduce(first.dtype) { $0 == $1.dtype ? $0 : DType.promoted($0, $1.dtype) }
        var outShape = first.shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let result = Tensor(uninitializedShape: outShape, dtype: dtype)
        var start = 0
        for tensor in tensors {
            let size = tensor.shape[axis]
            writeElements(of: tensor, into: try result.sliced(axis: axis, start: start, end: start + size))
            start += size
        }
        return result
    }

    /// Joins equally shaped tensors along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = tensors.first else {
            throw TensorError.invalidArgument(op: "stack", reason: "needs at least one tensor")
        }
        if let other = tensors.first(where: { $0.shape != first.shape }) {
            throw TensorError.shapeMismatch(
                op: "stack", lhs: first.shape, rhs: other.shape, reason: "stacked tensors must have equal shapes")
        }
        let position = try normalizeAxis(axis, rank: first.rank + 1, op: "stack")
        return try concatenate(tensors.map { try $0.unsqueezed(position) }, axis: position)
    }

    /// Views of consecutive pieces along `axis` with the given sizes (no copy).
    /// - Throws: unless the sizes are non-negative and add up to the axis' size.
    public func split(sizes: [Int], axis: Int = 0) throws -> [Tensor] {
        let axis = try normalizeAxis(axis, rank: rank, op: "split")
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[axis] else {
            throw TensorError.invalidArgument(
                op: "split", reason: "sizes \(sizes) must add up to \(shape[axis]), the size of axis \(axis)")
        }
        var start = 0
        return try sizes.map { size in
            defer { start += size }
            return try sliced(axis: axis, start: start, end: start + size)
        }
    }

    /// Views of `parts` nearly equal pieces along `axis` (the first ones one larger when
    /// the size does not divide evenly).
    public func split(parts: Int, axis: Int = 0) throws -> [Tensor] {
        let resolved = try normalizeAxis(axis, rank: rank, op: "split")
        guard parts > 0 else {
            throw TensorError.invalidArgument(op: "split", reason: "parts must be positive, got \(parts)")
        }
        let size = shape[resolved]
        return try split(sizes: (0..<parts).map { size / parts + ($0 < size % parts ? 1 : 0) }, axis: resolved)
    }
}
