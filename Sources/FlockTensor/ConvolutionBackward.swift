import CFlockKernels

/// Folds columns back into an image, adding overlapping contributions: the adjoint of
/// `im2col` (same layouts), used for the input gradient of a convolution.
func col2im<T: NumericElement>(
    _ cols: UnsafePointer<T>, channels: Int, geometry g: WindowGeometry, into image: UnsafeMutablePointer<T>
) {
    if T.self == Float.self {
        g.withWindow { window in
            flock_col2im_f32(
                UnsafeRawPointer(cols).assumingMemoryBound(to: Float.self), channels, window,
                UnsafeMutableRawPointer(image).assumingMemoryBound(to: Float.self))
        }
        return
    }
    let (oh, ow) = (g.outputHeight, g.outputWidth)
    image.update(repeating: T.zeroValue, count: channels * g.height * g.width)
    var row = cols
    for c in 0..<channels {
        let plane = image + c * g.height * g.width
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                let (first, end) = g.validColumns(kernelColumn: j)
                let shift = j * g.dilation.1 - g.padding.1
                for oy in 0..<oh where first < end {
                    let y = oy * g.stride.0 - g.padding.0 + i * g.dilation.0
                    guard y >= 0, y < g.height else { continue }
                    let line = plane + y * g.width + shift
                    let source = row + oy * ow
                    if g.stride.1 == 1 {
                        for ox in first..<end { line[ox] = T.add(line[ox], source[ox]) }
                    } else {
                        for ox in first..<end { line[ox * g.stride.1] = T.add(line[ox * g.stride.1], source[ox]) }
                    }
                }
                row += oh * ow
            }
        }
    }
}

/// Gradients of conv2d for contiguous input [N, C, H, W], weight [O, C/g, KH, KW] and
/// output gradient [N, O, OH, OW].
private struct Conv2dBackwardVisitor: NumericTypeVisitor {
    let input: Tensor
    let weight: Tensor
    let gradient: Tensor
    let geometry: WindowGeometry
    let groups: Int
    /// The forward pass's columns ([groups, patch, N * OH * OW]), if it kept them.
    let columns: Tensor?
    /// Whether to compute the input gradient (not for a first layer fed with data).
    let wantsInputGradient: Bool

    func visit<T: NumericElement>(_: T.Type) throws -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        let (batch, channels) = (input.shape[0], input.shape[1])
        let outChannels = weight.shape[0]
        let (groupIn, groupOut) = (channels / groups, outChannels / groups)
        let positions = geometry.outputHeight * geometry.outputWidth
        let patch = groupIn * geometry.kernelHeight * geometry.kernelWidth
        let plane = geometry.height * geometry.width
        let inputGradient = wantsInputGradient ? Tensor(uninitializedShape: input.shape, dtype: T.dtype) : nil
        // cols of every image and group, laid out [groups][patch][batch * positions] so that
        // the weight gradient of a group is one GEMM over the whole batch.
        let allCols = columns ?? Tensor(uninitializedShape: [groups, patch, batch * positions], dtype: T.dtype)
        let unfold = columns == nil
        let (x, w, g) = (input.elementPointer(T.self), weight.elementPointer(T.self), gradient.elementPointer(T.self))
        let (dx, cols) = (inputGradient?.elementPointer(T.self), allCols.elementPointer(T.self))
        withExtendedLifetime((input, weight, gradient)) {
            parallelRanges(count: batch, grain: 1) { images in
                let scratch = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, patch * positions))
                defer { scratch.deallocate() }
                for n in images {
                    for group in 0..<groups {
                        // Input gradient: col2im(Wᵀ · g).
                        if let dx {
                            let left = MatrixOperand<T>(
                                base: w + group * groupOut * patch, rowStride: 1, columnStride: patch)
                            let right = MatrixOperand<T>(
                                base: g + (n * outChannels + group * groupOut) * positions, rowStride: positions,
                                columnStride: 1)
                            gemm(m: patch, n: positions, k: groupOut, a: left, b: right, c: scratch, ldc: positions)
                            col2im(
                                scratch, channels: groupIn, geometry: geometry,
                                into: dx + (n * channels + group * groupIn) * plane)
                        }
                        // This image's columns for the weight gradient, straight into their
                        // slot, unless the forward pass kept them.
                        if unfold {
                            im2col(
                                x + (n * channels + group * groupIn) * plane, channels: groupIn, geometry: geometry,
                                into: cols + group * patch * batch * positions + n * positions,
                                rowStride: batch * positions)
                        }
                    }
                }
            }
        }
        // Weight gradient per group, computed transposed: dWᵀ [patch, groupOut] =
        // cols [patch, batch*positions] · gᵀ. Both operands are then read along their rows
        // (the other orientation would gather cols column by column, 200 KB apart).
        let gradientByChannel = try gradient.reshaped([batch, outChannels, positions]).permuted([1, 0, 2]).contiguous()
        let weightGradient = Tensor(uninitializedShape: weight.shape, dtype: T.dtype)
        let transposed = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, patch * groupOut))
        defer { transposed.deallocate() }
        let (gc, dw) = (gradientByChannel.elementPointer(T.self), weightGradient.elementPointer(T.self))
        let columns = batch * positions
        withExtendedLifetime((gradientByChannel, allCols)) {
            for group in 0..<groups {
                let left = MatrixOperand<T>(base: cols + group * patch * columns, rowStride: columns, columnStride: 1)
                let right = MatrixOperand<T>(base: gc + group * groupOut * columns, rowStride: 1, columnStride: columns)
                gemm(m: patch, n: groupOut, k: columns, a: left, b: right, c: transposed, ldc: groupOut)
                let target = dw + group * groupOut * patch
                for row in 0..<patch {
                    for column in 0..<groupOut { target[column * patch + row] = transposed[row * groupOut + column] }
                }
            }
        }
        let biasGradient = try gradientByChannel.sum(axes: [1, 2])
        return (inputGradient, weightGradient, biasGradient)
    }
}

extension Tensor {
    /// Gradients of `conv2d` with respect to its input, weight and bias, given the
    /// gradient of its output (same arguments as the forward call).
    /// - Throws: on the same invalid arguments as `conv2d`, or a gradient whose shape is
    ///   not the forward output's.
    public func conv2dBackward(
        weight: Tensor, outputGradient: Tensor, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
        dilation: (Int, Int) = (1, 1), groups: Int = 1
    ) throws -> (input: Tensor, weight: Tensor, bias: Tensor) {
        let gradients = try conv2dBackward(
            weight: weight, outputGradient: outputGradient, stride: stride, padding: padding, dilation: dilation,
            groups: groups, columns: nil, wantsInputGradient: true)
        return (gradients.input!, gradients.weight, gradients.bias)  // Invariant: asked for.
    }

    /// `conv2dBackward` reusing the forward pass's columns (`conv2dKeepingColumns`), and
    /// skipping the input gradient unless `wantsInputGradient`.
    package func conv2dBackward(
        weight: Tensor, outputGradient: Tensor, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int),
        groups: Int, columns: Tensor?, wantsInputGradient: Bool
    ) throws -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        let expected = try conv2dOutputShape(
            weight: weight, stride: stride, padding: padding, dilation: dilation, groups: groups)
        guard outputGradient.shape == expected else {
            throw TensorError.shapeMismatch(
                op: "conv2dBackward", lhs: expected, rhs: outputGradient.shape,
                reason: "the output gradient must have the output's shape")
        }
        let dtype = DType.promoted(self.dtype, weight.dtype)
        let geometry = WindowGeometry(
            height: shape[2], width: shape[3], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
            stride: stride, padding: padding, dilation: dilation)
        let visitor = Conv2dBackwardVisitor(
            input: casted(to: dtype).contiguous(), weight: weight.casted(to: dtype).contiguous(),
            gradient: outputGradient.casted(to: dtype).contiguous(), geometry: geometry, groups: groups,
            columns: columns?.dtype == dtype ? columns : nil, wantsInputGradient: wantsInputGradient)
        return try dtype.visitNumeric(visitor, op: "conv2dBackward")
    }
}
