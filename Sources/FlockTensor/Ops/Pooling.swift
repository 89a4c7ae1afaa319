import CFlockKernels

extension WindowGeometry {
    /// Calls `body(offset)` with the in-plane offset (y * width + x) of every cell of the
    /// window at output position (oy, ox) that lies inside the plane (padding skipped).
    @inline(__always)
    func forEachCell(oy: Int, ox: Int, _ body: (Int) -> Void) {
        let y0 = oy * stride.0 - padding.0
        let x0 = ox * stride.1 - padding.1
        for i in 0..<kernelHeight {
            let y = y0 + i * dilation.0
            guard y >= 0, y < height else { continue }
            for j in 0..<kernelWidth {
                let x = x0 + j * dilation.1
                if x >= 0 && x < width { body(y * width + x) }
            }
        }
    }

    /// Average pooling's divisor at (oy, ox): with `countPadding` (PyTorch's
    /// count_include_pad) the window clipped to the padded plane, else the cells inside.
    func averageDivisor(oy: Int, ox: Int, countPadding: Bool) -> Int {
        guard countPadding else {
            var cells = 0
            forEachCell(oy: oy, ox: ox) { _ in cells += 1 }
            return Swift.max(cells, 1)
        }
        let y0 = oy * stride.0 - padding.0
        let x0 = ox * stride.1 - padding.1
        let y1 = Swift.min(y0 + kernelHeight, height + padding.0)
        let x1 = Swift.min(x0 + kernelWidth, width + padding.1)
        return Swift.max((y1 - y0) * (x1 - x0), 1)
    }

    /// The in-plane offset of the window's first largest cell (NaN wins), or -1.
    @inline(__always)
    func argmax<T: NumericElement>(_ plane: UnsafePointer<T>, oy: Int, ox: Int) -> Int {
        var best = -1
        forEachCell(oy: oy, ox: ox) { offset in
            let value = plane[offset]
            if best < 0 || (!plane[best].isNaNValue && (value.isNaNValue || value > plane[best])) { best = offset }
        }
        return best
    }
}

/// Forward pooling over contiguous [N, C, H, W] planes: each window's maximum, with the
/// in-plane offset it came from (int32, -1 for a window wholly in the padding), or its
/// average. An average pooling's backward pass runs here too, given `outputGradient`.
private struct PoolVisitor: NumericTypeVisitor {
    let input: Tensor
    let geometry: WindowGeometry
    let average: Bool
    let countPadding: Bool
    /// The output gradient for average pooling's backward pass; nil for a forward pass.
    let outputGradient: Tensor?

    func visit<T: NumericElement>(_: T.Type) -> (output: Tensor, indices: Tensor?) {
        let g = geometry
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let planes = input.shape[0] * input.shape[1]
        let plane = g.height * g.width
        let pooledShape = [input.shape[0], input.shape[1], oh, ow]
        let result =
            outputGradient == nil ? Tensor(uninitializedShape: pooledShape, dtype: T.dtype) : input.zerosLike()
        let indices = average ? nil : Tensor(uninitializedShape: pooledShape, dtype: .int32)
        let x = input.elementPointer(T.self)
        let out = result.elementPointer(T.self)
        let offsets = indices?.elementPointer(Int32.self)
        let upstream = outputGradient?.elementPointer(T.self)
        let twoByTwo = g.kernelHeight == 2 && g.kernelWidth == 2 && g.stride == (2, 2) && g.padding == (0, 0)
        withExtendedLifetime((input, outputGradient)) {
            parallelRanges(count: planes, grain: Swift.max(1, elementwiseGrain / Swift.max(1, plane))) { range in
                if let offsets, T.self == Float.self, twoByTwo {
                    flock_maxpool_2x2_f32(
                        UnsafeRawPointer(x + range.lowerBound * plane).assumingMemoryBound(to: Float.self),
                        range.count, g.height, g.width,
                        UnsafeMutableRawPointer(out + range.lowerBound * oh * ow).assumingMemoryBound(to: Float.self),
                        offsets + range.lowerBound * oh * ow)
                    return
                }
                for p in range {
                    let source = x + p * plane
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let position = p * oh * ow + oy * ow + ox
                            if let offsets {
                                let best = g.argmax(source, oy: oy, ox: ox)
                                out[position] = best >= 0 ? source[best] : T.lowest
                                offsets[position] = Int32(best)
                                continue
                            }
                            let divisor = Double(g.averageDivisor(oy: oy, ox: ox, countPadding: countPadding))
                            if let upstream {
                                let share = T(converting: upstream[position].doubleValue / divisor)
                                g.forEachCell(oy: oy, ox: ox) {
                                    out[p * plane + $0] = T.add(out[p * plane + $0], share)
                                }
                            } else {
                                var total = 0.0
                                g.forEachCell(oy: oy, ox: ox) { total += source[$0].doubleValue }
                                out[position] = T(converting: total / divisor)
                            }
                        }
                    }
                }
            }
        }
        return (result, indices)
    }
}

/// Max pooling's input gradient: each output gradient is added at the input cell its
/// index names. Reports (instead of writing) indices outside the plane.
private struct MaxPoolScatterVisitor: NumericTypeVisitor {
    let outputGradient: Tensor  // contiguous [N, C, OH, OW]
    let indices: Tensor  // contiguous int32, same shape
    let inputShape: [Int]

    func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
        let result = try Tensor.zeros(inputShape, dtype: T.dtype)
        let plane = inputShape[2] * inputShape[3]
        let pooled = outputGradient.shape[2] * outputGradient.shape[3]
        let planes = inputShape[0] * inputShape[1]
        let (g, offsets) = (outputGradient.elementPointer(T.self), indices.elementPointer(Int32.self))
        let out = result.elementPointer(T.self)
        let invalid = UnsafeMutablePointer<Bool>.allocate(capacity: Swift.max(planes, 1))
        invalid.initialize(repeating: false, count: Swift.max(planes, 1))
        defer { invalid.deallocate() }
        withExtendedLifetime((outputGradient, indices)) {
            parallelRanges(count: planes, grain: Swift.max(1, elementwiseGrain / Swift.max(1, pooled))) { range in
                for p in range {
                    let target = out + p * plane
                    for i in p * pooled..<(p + 1) * pooled {
                        let offset = Int(offsets[i])
                        if offset >= 0 && offset < plane {
                            target[offset] = T.add(target[offset], g[i])
                        } else if offset != -1 {
                            invalid[p] = true
                        }
                    }
                }
            }
        }
        if let bad = (0..<planes).first(where: { invalid[$0] }) {
            throw TensorError.invalidArgument(
                op: "maxPool2dBackward",
                reason: "plane \(bad) has an index outside 0..<\(plane) (the \(inputShape[2])x\(inputShape[3]) input)")
        }
        return result
    }
}

extension Tensor {
    /// Max pooling over `[N, C, H, W]` windows (padding never wins; NaN propagates).
    /// `stride` defaults to the kernel size, as in PyTorch.
    public func maxPool2d(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)
    ) throws -> Tensor {
        try maxPool2dWithIndices(kernel: kernel, stride: stride, padding: padding, dilation: dilation).output
    }

    /// Max pooling that also returns, for each output, the in-plane offset `y * W + x`
    /// of the input cell it took (int32; PyTorch's `return_indices`), which
    /// `maxPool2dBackward(outputGradient:indices:inputShape:)` uses.
    public func maxPool2dWithIndices(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)
    ) throws -> (output: Tensor, indices: Tensor) {
        let pooled = try pool(
            kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: dilation, average: false,
            countPadding: false, gradient: nil, op: "maxPool2d")
        return (pooled.output, pooled.indices!)  // Invariant: max pooling writes indices.
    }

    /// Average pooling over `[N, C, H, W]` windows; with `countPadding` (PyTorch's
    /// default) padded zeros count in the divisor.
    public func avgPool2d(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), countPadding: Bool = true
    ) throws -> Tensor {
        try pool(
            kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: (1, 1), average: true,
            countPadding: countPadding, gradient: nil, op: "avgPool2d"
        ).output
    }

    /// The input gradient of `maxPool2d` (each window's gradient goes to its first
    /// largest cell), given the output gradient; same arguments as the forward call.
    public func maxPool2dBackward(
        outputGradient: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
        dilation: (Int, Int) = (1, 1)
    ) throws -> Tensor {
        let indices = try maxPool2dWithIndices(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
            .indices
        return try Tensor.maxPool2dBackward(outputGradient: outputGradient, indices: indices, inputShape: shape)
    }

    /// The input gradient of max pooling from the forward pass's indices
    /// (`maxPool2dWithIndices`): a zero tensor of `inputShape` with each output gradient
    /// added at the cell its index names.
    /// - Throws: when the shapes disagree, the indices are not int32, or an index lies
    ///   outside its plane.
    public static func maxPool2dBackward(outputGradient: Tensor, indices: Tensor, inputShape: [Int]) throws -> Tensor {
        guard inputShape.count == 4, outputGradient.rank == 4, indices.shape == outputGradient.shape,
            Array(inputShape.prefix(2)) == Array(outputGradient.shape.prefix(2)), inputShape.allSatisfy({ $0 >= 0 })
        else {
            throw TensorError.shapeMismatch(
                op: "maxPool2dBackward", lhs: outputGradient.shape, rhs: indices.shape,
                reason: "gradient and indices must both be [N, C, OH, OW] for an input [N, C, H, W] \(inputShape)")
        }
        guard indices.dtype == .int32 else {
            throw TensorError.unsupportedDType(
                op: "maxPool2dBackward", dtype: indices.dtype, reason: "indices must be int32")
        }
        let gradient = outputGradient.numeric
        let visitor = MaxPoolScatterVisitor(
            outputGradient: gradient.contiguous(), indices: indices.contiguous(), inputShape: inputShape)
        return try gradient.dtype.visitNumeric(visitor, op: "maxPool2dBackward")
    }

    /// The input gradient of `avgPool2d` (each window's gradient shared by its cells).
    public func avgPool2dBackward(
        outputGradient: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
        countPadding: Bool = true
    ) throws -> Tensor {
        try pool(
            kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: (1, 1), average: true,
            countPadding: countPadding, gradient: outputGradient, op: "avgPool2dBackward"
        ).output
    }

    private func pool(
        kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int),
        average: Bool, countPadding: Bool, gradient: Tensor?, op: String
    ) throws -> (output: Tensor, indices: Tensor?) {
        guard rank == 4 else {
            throw TensorError.invalidShape(op: op, shape: shape, reason: "input must be [N, C, H, W]")
        }
        guard padding.0 * 2 <= kernel.0, padding.1 * 2 <= kernel.1 else {
            throw TensorError.invalidArgument(
                op: op, reason: "padding \(padding) must be at most half the kernel \(kernel)")
        }
        let geometry = WindowGeometry(
            height: shape[2], width: shape[3], kernelHeight: kernel.0, kernelWidth: kernel.1,
            stride: stride, padding: padding, dilation: dilation)
        try geometry.validate(op: op, input: shape)
        var input = numeric
        if average && !input.dtype.isFloatingPoint { input = input.casted(to: .float32) }
        let outputShape = [shape[0], shape[1], geometry.outputHeight, geometry.outputWidth]
        if let gradient, gradient.shape != outputShape {
            throw TensorError.shapeMismatch(
                op: op, lhs: outputShape, rhs: gradient.shape,
                reason: "the output gradient must have the output's shape")
        }
        let visitor = PoolVisitor(
            input: input.contiguous(), geometry: geometry, average: average, countPadding: countPadding,
            outputGradient: gradient?.casted(to: input.dtype).contiguous())
        return try input.dtype.visitNumeric(visitor, op: op)
    }
}
