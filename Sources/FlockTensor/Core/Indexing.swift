/// Gathers along one axis: out[p] = x[p with p[axis] replaced by index[p]].
private struct GatherVisitor: ElementTypeVisitor {
    let x: Tensor
    let index: Tensor  // int64
    let axis: Int

    func visit<T: TensorElement>(_: T.Type) -> Tensor {
        let result = Tensor(uninitializedShape: index.shape, dtype: T.dtype)
        var sourceStrides = x.strides
        sourceStrides[axis] = 0
        let plan = LoopPlan(shape: index.shape, strides: [result.strides, index.strides, sourceStrides])
        let (out, positions, source) = (
            result.elementPointer(T.self), index.elementPointer(Int64.self), x.elementPointer(T.self)
        )
        let axisStride = x.strides[axis]
        withExtendedLifetime((x, index)) {
            plan.parallelRuns { offsets, length in
                let (so, si, sx) = (plan.innerStride(0), plan.innerStride(1), plan.innerStride(2))
                for i in 0..<length {
                    let position = Int(positions[offsets[1] + i * si])
                    out[offsets[0] + i * so] = source[offsets[2] + i * sx + position * axisStride]
                }
            }
        }
        return result
    }
}

/// Writes `source` into a copy of `x` at the positions `index` names along `axis`,
/// combining with the old value by `combine(old, new)`. Sequential: two positions may
/// name the same target, and they are applied in row-major order.
private func scatter<T: TensorElement>(
    _: T.Type, x: Tensor, index: Tensor, source: Tensor, axis: Int, combine: (T, T) -> T
) -> Tensor {
    let result = x.copied()
    var targetStrides = result.strides
    targetStrides[axis] = 0
    let plan = LoopPlan(shape: index.shape, strides: [targetStrides, index.strides, source.strides])
    let (out, positions, values) = (
        result.elementPointer(T.self), index.elementPointer(Int64.self), source.elementPointer(T.self)
    )
    let axisStride = result.strides[axis]
    let (so, si, sv) = (plan.innerStride(0), plan.innerStride(1), plan.innerStride(2))
    withExtendedLifetime((index, source)) {
        plan.forEachRun(in: 0..<plan.count) { offsets, length in
            for i in 0..<length {
                let target = out + offsets[0] + i * so + Int(positions[offsets[1] + i * si]) * axisStride
                target.pointee = combine(target.pointee, values[offsets[2] + i * sv])
            }
        }
    }
    return result
}

private struct ScatterVisitor: ElementTypeVisitor {
    let x: Tensor, index: Tensor, source: Tensor, axis: Int
    func visit<T: TensorElement>(_: T.Type) -> Tensor {
        scatter(T.self, x: x, index: index, source: source, axis: axis) { _, new in new }
    }
}

private struct ScatterAddVisitor: NumericTypeVisitor {
    let x: Tensor, index: Tensor, source: Tensor, axis: Int
    func visit<T: NumericElement>(_: T.Type) -> Tensor {
        scatter(T.self, x: x, index: index, source: source, axis: axis) { T.add($0, $1) }
    }
}

extension Tensor {
    /// Checks an index tensor for `op` and returns it as int64.
    private func validatedIndex(_ index: Tensor, axis: Int, op: String) throws -> Tensor {
        guard index.dtype.isInteger else {
            throw TensorError.unsupportedDType(op: op, dtype: index.dtype, reason: "indices must be int32 or int64")
        }
        let positions = index.casted(to: .int64)
        let size = shape[axis]
        if positions.count > 0 {
            let low = try positions.min().item(as: Int64.self)
            let high = try positions.max().item(as: Int64.self)
            if low < 0 || high >= size {
                throw TensorError.indexOutOfRange(op: op, index: Int(low < 0 ? low : high), size: size)
            }
        }
        return positions
    }

    /// Picks values along `axis` by an index tensor of the same rank (PyTorch's gather):
    /// `out[i][j][k] = self[i][index[i][j][k]][k]` for axis 1.
    /// - Throws: on a rank mismatch, an index dimension larger than this tensor's (other
    ///   than `axis`), non-integer indices or an index out of range.
    public func gather(axis: Int, index: Tensor) throws -> Tensor {
        let axis = try normalizeAxis(axis, rank: rank, op: "gather")
        try checkIndexShape(index, axis: axis, op: "gather")
        let positions = try validatedIndex(index, axis: axis, op: "gather")
        return dtype.visitElement(GatherVisitor(x: self, index: positions, axis: axis))
    }

    /// A copy with `source` values written at the positions `index` gives along `axis`
    /// (PyTorch's scatter; with duplicate positions the last write wins). With
    /// `accumulate`, values are added instead (scatter_add).
    public func scattered(axis: Int, index: Tensor, source: Tensor, accumulate: Bool = false) throws -> Tensor {
        let axis = try normalizeAxis(axis, rank: rank, op: "scatter")
        try checkIndexShape(index, axis: axis, op: "scatter")
        guard source.rank == index.rank, zip(index.shape, source.shape).allSatisfy({ $0 <= $1 }) else {
            throw TensorError.shapeMismatch(
                op: "scatter", lhs: index.shape, rhs: source.shape,
                reason: "the source must be at least as large as the index in every dimension")
        }
        let positions = try validatedIndex(index, axis: axis, op: "scatter")
        let values = source.casted(to: dtype)
        if accumulate {
            return try dtype.visitNumeric(
                ScatterAddVisitor(x: self, index: positions, source: values, axis: axis), op: "scatterAdd")
        }
        return dtype.visitElement(ScatterVisitor(x: self, index: positions, source: values, axis: axis))
    }

    /// The sub-tensors at `indices` (1-D, integer) along `axis`, in that order.
    public func indexSelect(axis: Int, indices: Tensor) throws -> Tensor {
        let axis = try normalizeAxis(axis, rank: rank, op: "indexSelect")
        guard indices.rank == 1 else {
            throw TensorError.invalidShape(op: "indexSelect", shape: indices.shape, reason: "indices must be 1-D")
        }
        let positions = try validatedIndex(indices, axis: axis, op: "indexSelect").scalars(as: Int64.self)
        var outShape = shape
        outShape[axis] = positions.count
        let result = Tensor(uninitializedShape: outShape, dtype: dtype)
        for (slot, position) in positions.enumerated() {
            Tensor.writeElements(
                of: try selected(axis: axis, index: Int(position)),
                into: try result.selected(axis: axis, index: slot))
        }
        return result
    }

    /// One-hot rows for integer class labels: shape `labels.shape + [classes]`.
    /// - Throws: on non-integer labels or a label outside `0..<classes`.
    public static func oneHot(_ labels: Tensor, classes: Int, dtype: DType = .float32) throws -> Tensor {
        guard classes > 0 else {
            throw TensorError.invalidArgument(op: "oneHot", reason: "classes must be positive, got \(classes)")
        }
        let holder = try zeros([classes])
        let positions = try holder.validatedIndex(labels, axis: 0, op: "oneHot")
        let index = try positions.unsqueezed(-1)
        let base = try zeros(labels.shape + [classes], dtype: dtype)
        return try base.scattered(axis: -1, index: index, source: ones(index.shape, dtype: dtype))
    }

    private func checkIndexShape(_ index: Tensor, axis: Int, op: String) throws {
        guard index.rank == rank,
            (0..<rank).allSatisfy({ $0 == axis || index.shape[$0] <= shape[$0] })
        else {
            throw TensorError.shapeMismatch(
                op: op, lhs: shape, rhs: index.shape,
                reason: "the index must have the same rank and be no larger outside axis \(axis)")
        }
    }
}
