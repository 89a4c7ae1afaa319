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

/// Forward (max or average) and backward pooling over contiguous [N, C, H, W] planes.
private struct PoolVisitor: NumericTypeVisitor {
    let input: Tensor
    let geometry: WindowGeometry
    let average: Bool
    let countPadding: Bool
    /// The output gradient for a backward pass; nil for the forward pass.
    let outputGradient: Tensor?

    func visit<T: NumericElement>(_: T.Type) -> Tensor {
        let g = geometry
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let planes = input.shape[0] * input.shape[1]
        let plane = g.height * g.width
        let result =
            outputGradient == nil
            ? Tensor(uninitializedShape: [input.shape[0], input.shape[1], oh, ow], dtype: T.dtype)
            : input.zerosLike()
        let x = input.elementPointer(T.self)
        let out = result.elementPointer(T.self)
        let upstream = outputGradient?.elementPointer(T.self)
        let tiled =
            !average && g.stride == (g.kernelHeight, g.kernelWidth) && g.padding == (0, 0) && g.dilation == (1, 1)
        withExtendedLifetime((input, outputGradient)) {
            parallelRanges(count: planes, grain: Swift.max(1, elementwiseGrain / Swift.max(1, plane))) { range in
                if tiled {
                    for p in range { maxTiles(x + p * plane, out, upstream, plane: p, oh: oh, ow: ow) }
                    return
                }
                for p in range {
                    let source = x + p * plane
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let position = p * oh * ow + oy * ow + ox
                            switch (upstream, average) {
                            case (nil, false):
                                let best = g.argmax(source, oy: oy, ox: ox)
                                out[position] = best >= 0 ? source[best] : T.lowest
                            case (nil, true):
                                var total = 0.0
                                g.forEachCell(oy: oy, ox: ox) { total += source[$0].doubleValue }
                                out[position] = T(
                                    converting: total
                                        / Double(g.averageDivisor(oy: oy, ox: ox, countPadding: countPadding)))
                            case (let gradient?, false):
                                let best = g.argmax(source, oy: oy, ox: ox)
                                if best >= 0 {
                                    out[p * plane + best] = T.add(out[p * plane + best], gradient[position])
                                }
                            case (let gradient?, true):
                                let share = T(
                                    converting: gradient[position].doubleValue
                                        / Double(g.averageDivisor(oy: oy, ox: ox, countPadding: countPadding)))
                                g.forEachCell(oy: oy, ox: ox) {
                                    out[p * plane + $0] = T.add(out[p * plane + $0], share)
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Max pooling (or its gradient) of one plane when windows tile it exactly (stride =
    /// kernel, no padding or dilation): the common 2x2 case, without per-cell closures.
    @inline(__always)
    private func maxTiles<T: NumericElement>(
        _ source: UnsafeMutablePointer<T>, _ out: UnsafeMutablePointer<T>, _ upstream: UnsafeMutablePointer<T>?,
        plane p: Int, oh: Int, ow: Int
    ) {
        let g = geometry
        let (kh, kw, width) = (g.kernelHeight, g.kernelWidth, g.width)
        for oy in 0..<oh {
            for ox in 0..<ow {
                let corner = oy * kh * width + ox * kw
                var best = corner
                var bestValue = source[corner]
                var sawNaN: UInt8 = 0
                if kh == 2 && kw == 2 {
                    // The common 2x2 window, unrolled.
                    for cell in 1..<4 {
                        let offset = corner + (cell == 1 ? 1 : width + cell - 2)
                        let value = source[offset]
                        let greater = value > bestValue
                        best = greater ? offset : best
                        bestValue = greater ? value : bestValue
                    }
                    sawNaN =
                        source[corner].isNaNValue || source[corner + 1].isNaNValue || source[corner + width].isNaNValue
                            || source[corner + width + 1].isNaNValue ? 1 : 0
                } else {
                    for i in 0..<kh {
                        for j in 0..<kw {
                            let offset = corner + i * width + j
                            let value = source[offset]
                            // Selects instead of branches: data-dependent branches mispredict
                            // about half the time on real activations.
                            let greater = value > bestValue
                            best = greater ? offset : best
                            bestValue = greater ? value : bestValue
                            sawNaN |= value.isNaNValue ? 1 : 0
                        }
                    }
                }
                if sawNaN != 0 { best = g.argmax(UnsafePointer(source), oy: oy, ox: ox) }
                let position = p * oh * ow + oy * ow + ox
                if let upstream {
                    let target = out + p * g.height * width + best
                    target.pointee = T.add(target.pointee, upstream[position])
                } else {
                    out[position] = source[best]
                }
            }
        }
    }
}

extension Tensor {
    /// Max pooling over `[N, C, H, W]` windows (padding never wins; NaN propagates).
    /// `stride` defaults to the kernel size, as in PyTorch.
    public func maxPool2d(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)
    ) throws -> Tensor {
        try pool(
            kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: dilation, average: false,
            countPadding: false, gradient: nil, op: "maxPool2d")
    }

    /// Average pooling over `[N, C, H, W]` windows; with `countPadding` (PyTorch's
    /// default) padded zeros count in the divisor.
    public func avgPool2d(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), countPadding: Bool = true
    ) throws -> Tensor {
        try pool(
            kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: (1, 1), average: true,
            countPadding: countPadding, gradient: nil, op: "avgPool2d")
    }

    /// The input gradient of `maxPool2d` (each window's gradient goes to its first
    /// largest cell), given the output gradient; same arguments as the forward call.
    public func maxPool2dBackward(
        outputGradient: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
        dilation: (Int, Int) = (1, 1)
    ) throws -> Tensor {
        try pool(
            kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: dilation, average: false,
            countPadding: false, gradient: outputGradient, op: "maxPool2dBackward")
    }

    /// The input gradient of `avgPool2d` (each window's gradient shared by its cells).
    public func avgPool2dBackward(
        outputGradient: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
        countPadding: Bool = true
    ) throws -> Tensor {
        try pool(
            kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: (1, 1), average: true,
            countPadding: countPadding, gradient: outputGradient, op: "avgPool2dBackward")
    }

    private func pool(
        kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int),
        average: Bool, countPadding: Bool, gradient: Tensor?, op: String
    ) throws -> Tensor {
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
