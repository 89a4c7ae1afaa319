import CFlockKernels

/// Geometry of a 2-D sliding window over an `height x width` plane.
struct WindowGeometry {
    let height: Int, width: Int
    let kernelHeight: Int, kernelWidth: Int
    let stride: (Int, Int)
    let padding: (Int, Int)
    let dilation: (Int, Int)

    var outputHeight: Int { Self.outputs(height, padding.0, dilation.0, kernelHeight, stride.0) }
    var outputWidth: Int { Self.outputs(width, padding.1, dilation.1, kernelWidth, stride.1) }

    /// Window positions along one axis (0 when the window is larger than the padded input).
    private static func outputs(_ size: Int, _ padding: Int, _ dilation: Int, _ kernel: Int, _ stride: Int) -> Int {
        let span = size + 2 * padding - dilation * (kernel - 1) - 1
        return span < 0 ? 0 : span / stride + 1
    }

    func validate(op: String, input: [Int]) throws {
        guard stride.0 > 0, stride.1 > 0, dilation.0 > 0, dilation.1 > 0, padding.0 >= 0, padding.1 >= 0,
            kernelHeight > 0, kernelWidth > 0
        else {
            throw TensorError.invalidArgument(
                op: op, reason: "kernel, stride and dilation must be positive and padding non-negative")
        }
        guard outputHeight > 0, outputWidth > 0 else {
            throw TensorError.invalidShape(
                op: op, shape: input,
                reason:
                    "a \(kernelHeight)x\(kernelWidth) window (dilation \(dilation), padding \(padding)) does not fit in \(height)x\(width)"
            )
        }
    }
}

/// Unfolds one image's channels into columns: cols[(c*KH + i)*KW + j][oy*OW + ox] =
/// x[c][oy*sh - ph + i*dh][ox*sw - pw + j*dw], zero outside the image. `image` points at
/// a contiguous [channels, H, W] block; rows of cols are `rowStride` apart (default OH*OW).
func im2col<T: NumericElement>(
    _ image: UnsafePointer<T>, channels: Int, geometry g: WindowGeometry, into cols: UnsafeMutablePointer<T>,
    rowStride: Int? = nil
) {
    let (oh, ow) = (g.outputHeight, g.outputWidth)
    let rowStride = rowStride ?? oh * ow
    if T.self == Float.self {
        g.withWindow { window in
            flock_im2col_f32(
                UnsafeRawPointer(image).assumingMemoryBound(to: Float.self), channels, window,
                UnsafeMutableRawPointer(cols).assumingMemoryBound(to: Float.self), rowStride)
        }
        return
    }
    var row = cols
    for c in 0..<channels {
        let plane = image + c * g.height * g.width
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                let (first, end) = g.validColumns(kernelColumn: j)
                let shift = j * g.dilation.1 - g.padding.1
                for oy in 0..<oh {
                    let y = oy * g.stride.0 - g.padding.0 + i * g.dilation.0
                    let out = row + oy * ow
                    guard y >= 0, y < g.height, first < end else {
                        for ox in 0..<ow { out[ox] = T.zeroValue }
                        continue
                    }
                    let line = plane + y * g.width + shift
                    for ox in 0..<first { out[ox] = T.zeroValue }
                    if g.stride.1 == 1 {
                        // A loop, not memcpy: rows are short (tens of floats).
                        for ox in first..<end { out[ox] = line[ox] }
                    } else {
                        for ox in first..<end { out[ox] = line[ox * g.stride.1] }
                    }
                    for ox in end..<ow { out[ox] = T.zeroValue }
                }
                row += rowStride
            }
        }
    }
}

extension WindowGeometry {
    /// Calls `body` with the twelve numbers the C kernels take: H, W, KH, KW, strides,
    /// paddings, dilations, OH, OW.
    func withWindow(_ body: (UnsafePointer<Int>) -> Void) {
        let values = [
            height, width, kernelHeight, kernelWidth, stride.0, stride.1, padding.0, padding.1, dilation.0,
            dilation.1, outputHeight, outputWidth,
        ]
        values.withUnsafeBufferPointer { body($0.baseAddress!) }  // Invariant: twelve values.
    }

    /// The output columns `first..<end` whose tap at kernel column `j` lands inside the
    /// image (x = ox·stride - padding + j·dilation in 0..<width).
    func validColumns(kernelColumn j: Int) -> (Int, Int) {
        let (ow, s) = (outputWidth, stride.1)
        let offset = padding.1 - j * dilation.1  // x = ox·s - offset
        // Ceiling divisions; a negative numerator truncates toward zero, which the clamps
        // to 0 absorb.
        let first = Swift.min(ow, Swift.max(0, (offset + s - 1) / s))
        let end = Swift.min(ow, Swift.max(first, (width + offset + s - 1) / s))
        return (first, end)
    }
}

private struct Conv2dVisitor: NumericTypeVisitor {
    let input: Tensor  // contiguous [N, C, H, W]
    let weight: Tensor  // contiguous [O, C/groups, KH, KW]
    let bias: Tensor?  // contiguous [O]
    let geometry: WindowGeometry
    let groups: Int

    func visit<T: NumericElement>(_: T.Type) -> Tensor {
        let (batch, channels) = (input.shape[0], input.shape[1])
        let outChannels = weight.shape[0]
        let (groupIn, groupOut) = (channels / groups, outChannels / groups)
        let positions = geometry.outputHeight * geometry.outputWidth
        let patch = groupIn * geometry.kernelHeight * geometry.kernelWidth
        let result = Tensor(
            uninitializedShape: [batch, outChannels, geometry.outputHeight, geometry.outputWidth], dtype: T.dtype)
        let (x, w, out) = (input.elementPointer(T.self), weight.elementPointer(T.self), result.elementPointer(T.self))
        let b = bias?.elementPointer(T.self)
        let plane = geometry.height * geometry.width
        withExtendedLifetime((input, weight, bias)) {
            // Images in parallel (each GEMM then runs on its thread); a lone image lets the
            // GEMM use the threads instead.
            parallelRanges(count: batch, grain: 1) { images in
                // One image's columns at a time, so that they stay in cache for the GEMM.
                let cols = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, patch * positions))
                defer { cols.deallocate() }
                for n in images {
                    for g in 0..<groups {
                        im2col(
                            x + (n * channels + g * groupIn) * plane, channels: groupIn, geometry: geometry, into: cols)
                        gemm(
                            m: groupOut, n: positions, k: patch,
                            a: MatrixOperand(base: w + g * groupOut * patch, rowStride: patch, columnStride: 1),
                            b: MatrixOperand(base: cols, rowStride: positions, columnStride: 1),
                            c: out + (n * outChannels + g * groupOut) * positions, ldc: positions)
                    }
                    if let b {
                        for o in 0..<outChannels {
                            let target = out + (n * outChannels + o) * positions
                            for i in 0..<positions { target[i] = T.add(target[i], b[o]) }
                        }
                    }
                }
            }
        }
        return result
    }
}

extension Tensor {
    /// 2-D convolution (cross-correlation, as in PyTorch) of an `[N, C, H, W]` input with
    /// `[O, C/groups, KH, KW]` weights and an optional `[O]` bias; float32 or float64.
    /// Runs as im2col + GEMM per image, images in parallel.
    /// - Throws: on wrong ranks, channel counts that do not match the weights or groups,
    ///   a window that does not fit, or a non-float dtype.
    public func conv2d(
        weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
        dilation: (Int, Int) = (1, 1), groups: Int = 1
    ) throws -> Tensor {
        _ = try conv2dOutputShape(weight: weight, stride: stride, padding: padding, dilation: dilation, groups: groups)
        if let bias, bias.shape != [weight.shape[0]] {
            throw TensorError.shapeMismatch(
                op: "conv2d", lhs: weight.shape, rhs: bias.shape, reason: "bias must have one value per output channel")
        }
        let dtype = DType.promoted(self.dtype, weight.dtype)
        let geometry = WindowGeometry(
            height: shape[2], width: shape[3], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
            stride: stride, padding: padding, dilation: dilation)
        let visitor = Conv2dVisitor(
            input: casted(to: dtype).contiguous(), weight: weight.casted(to: dtype).contiguous(),
            bias: bias?.casted(to: dtype).contiguous(), geometry: geometry, groups: groups)
        return try dtype.visitNumeric(visitor, op: "conv2d")
    }

    /// Validates conv2d's arguments and returns the output shape [N, O, OH, OW].
    func conv2dOutputShape(
        weight: Tensor, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int
    ) throws -> [Int] {
        guard rank == 4, weight.rank == 4 else {
            throw TensorError.shapeMismatch(
                op: "conv2d", lhs: shape, rhs: weight.shape,
                reason: "input must be [N, C, H, W] and weight [O, C/groups, KH, KW]")
        }
        guard groups > 0, shape[1] % groups == 0, weight.shape[0] % groups == 0, weight.shape[1] * groups == shape[1]
        else {
            throw TensorError.shapeMismatch(
                op: "conv2d", lhs: shape, rhs: weight.shape,
                reason:
                    "input channels \(shape[1]) must equal weight.shape[1] (\(weight.shape[1])) x groups (\(groups)), and groups must divide the output channels"
            )
        }
        let dtype = DType.promoted(self.dtype, weight.dtype)
        guard dtype.isFloatingPoint else {
            throw TensorError.unsupportedDType(
                op: "conv2d", dtype: dtype, reason: "convolution needs float32 or float64")
        }
        let geometry = WindowGeometry(
            height: shape[2], width: shape[3], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
            stride: stride, padding: padding, dilation: dilation)
        try geometry.validate(op: "conv2d", input: shape)
        return [shape[0], weight.shape[0], geometry.outputHeight, geometry.outputWidth]
    }
}
