private struct MatMulVisitor: NumericTypeVisitor {
    let a: Tensor
    let b: Tensor
    let batchShape: [Int]
    let m: Int, n: Int, k: Int

    func visit<T: NumericElement>(_: T.Type) -> Tensor {
        let result = Tensor(uninitializedShape: batchShape + [m, n], dtype: T.dtype)
        let batchRank = batchShape.count
        let plan = LoopPlan(
            shape: batchShape,
            strides: [
                Array(result.strides.prefix(batchRank)), Array(a.strides.prefix(batchRank)),
                Array(b.strides.prefix(batchRank)),
            ])
        let (aBase, bBase, cBase) = (a.elementPointer(T.self), b.elementPointer(T.self), result.elementPointer(T.self))
        let (ars, acs) = (a.strides[batchRank], a.strides[batchRank + 1])
        let (brs, bcs) = (b.strides[batchRank], b.strides[batchRank + 1])
        func multiply(_ offsets: (Int, Int, Int)) {
            let c = cBase + offsets.0
            let left = MatrixOperand<T>(base: aBase + offsets.1, rowStride: ars, columnStride: acs)
            let right = MatrixOperand<T>(base: bBase + offsets.2, rowStride: brs, columnStride: bcs)
            gemm(m: m, n: n, k: k, a: left, b: right, c: c, ldc: n)
        }
        withExtendedLifetime((a, b)) {
            if k == 0 {
                for i in 0..<result.count { cBase[i] = T.zeroValue }
                return
            }
            /// Runs the products of batches `range` in order.
            func multiplyBatches(_ range: Range<Int>) {
                plan.forEachRun(in: range) { offsets, length in
                    for i in 0..<length {
                        multiply(
                            (
                                offsets[0] + i * plan.innerStride(0), offsets[1] + i * plan.innerStride(1),
                                offsets[2] + i * plan.innerStride(2)
                            ))
                    }
                }
            }
            // Many small products run one per thread; a large one uses all threads itself.
            let perProduct = m * n * k
            if plan.count > 1 && perProduct < 1 << 22 {
                parallelRanges(count: plan.count, grain: Swift.max(1, (1 << 18) / perProduct), multiplyBatches)
            } else {
                multiplyBatches(0..<plan.count)
            }
        }
        return result
    }
}

extension Tensor {
    /// Matrix product with NumPy/PyTorch semantics: 1-D x 1-D is a dot product, a 1-D
    /// operand is treated as a row (left) or column (right) vector, and leading batch
    /// dimensions broadcast. float32 runs on the selected `GEMMBackend`; transposed and
    /// sliced views are read in place without copying.
    /// - Throws: when an operand is 0-d or the inner dimensions differ.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard rank >= 1, other.rank >= 1 else {
            throw TensorError.shapeMismatch(
                op: "matmul", lhs: shape, rhs: other.shape, reason: "both operands need at least one dimension")
        }
        let dtype = DType.promoted(self.dtype, other.dtype)
        var a = casted(to: dtype)
        var b = other.casted(to: dtype)
        if rank == 1 { a = try a.unsqueezed(0) }
        if other.rank == 1 { b = try b.unsqueezed(-1) }
        let (m, k) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (k2, n) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        guard k == k2 else {
            throw TensorError.shapeMismatch(
                op: "matmul", lhs: shape, rhs: other.shape,
                reason: "the left operand has \(k) columns but the right one has \(k2) rows")
        }
        let batchShape = try broadcastShapes(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: "matmul")
        a = try a.expanded(to: batchShape + [m, k])
        b = try b.expanded(to: batchShape + [k, n])
        var result = try dtype.visitNumeric(
            MatMulVisitor(a: a, b: b, batchShape: batchShape, m: m, n: n, k: k), op: "matmul")
        if other.rank == 1 { result = try result.squeezed(-1) }
        if rank == 1 { result = try result.squeezed(-2 + (other.rank == 1 ? 1 : 0)) }
        return result
    }
}
