/// Max or average over each window of each plane of a contiguous [N, C, H, W] tensor.
private struct PoolVisitor: NumericTypeVisitor {
    let input: Tensor
    let geometry: WindowGeometry
    let average: Bool
    let countPadding: Bool

    func visit<T: NumericElement>(_: T.Type) -> Tensor {
        let g = geometry
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let planes = input.shape[0] * input.shape[1]
        let result = Tensor(uninitializedShape: [input.shape[0], input.shape[1], oh, ow], dtype: T.dtype)
        let (x, out) = (input.elementPointer(T.self), result.elementPointer(T.self))
        withExtendedLifetime(input) {
            parallelRanges(count: planes, grain: Swift.max(1, elementwiseGrain / Swift.max(1, g.height * g.width))) {
                range in
                for plane in range {
                    let source = x + plane * g.height * g.width
                    let target = out + plane * oh * ow
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let y0 = oy * g.stride.0 - g.padding.0
                            let x0 = ox * g.stride.1 - g.padding.1
                            var best = T.lowest
                            var total = 0.0
                            var seen = 0
                            for i in 0..<g.kernelHeight {
                                let y = y0 + i * g.dilation.0
                                guard y >= 0, y < g.height else { continue }
                                for j in 0..<g.kernelWidth {
                                    let xx = x0 + j * g.dilation.1
                                    guard xx >= 0, xx < g.width else { continue }
                                    let value = source[y * g.width + xx]
                                    if !best.isNaNValue && (value.isNaNValue || value > best) { best = value }
                                    total += value.doubleValue
                                    seen += 1
                                }
                            }
                            if average {
                                let divisor = countPadding ? averageDivisor(oy: oy, ox: ox) : seen
                                target[oy * ow + ox] = T(converting: total / Double(Swift.max(divisor, 1)))
                            } else {
                                target[oy * ow + ox] = best
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// PyTorch's divisor with count_include_pad: the window clipped to the padded plane.
    private func averageDivisor(oy: Int, ox: Int) -> Int {
        let g = geometry
        let y0 = oy * g.stride.0 - g.padding.0
        let x0 = ox * g.stride.1 - g.padding.1
        let y1 = Swift.min(y0 + g.kernelHeight, g.height + g.padding.0)
        let x1 = Swift.min(x0 + g.kernelWidth, g.width + g.padding.1)
        return (y1 - y0) * (x1 - x0)
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
            countPadding: false, op: "maxPool2d")
    }

    /// Average pooling over `[N, C, H, W]` windows; with `countPadding` (PyTorch's
    /// default) padded zeros count in the divisor.
    public func avgPool2d(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), countPadding: Bool = true
    ) throws -> Tensor {
        try pool(
            kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: (1, 1), average: true,
            countPadding: countPadding, op: "avgPool2d")
    }

    private func pool(
        kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int),
        average: Bool, countPadding: Bool, op: String
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
        var input = dtype == .bool ? casted(to: .int64) : contiguous()
        if average && !dtype.isFloatingPoint { input = casted(to: .float32) }
        let visitor = PoolVisitor(
            input: input.contiguous(), geometry: geometry, average: average, countPadding: countPadding)
        return try input.dtype.visitNumeric(visitor, op: op)
    }
}
