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
///
/// Images go in chunks whose unfolded columns fit in the L2 cache: each chunk unfolds its
/// images again (cheaper than keeping the forward pass's columns, which for a batch are
/// megabytes that travel to memory and back) and adds its share of the weight gradient as
/// one GEMM, gradient [O, chunk positions] x columnsᵀ, which the dot-product SGEMM kernel
/// runs without packing. Chunks run in parallel into their own partial sums, added in
/// chunk order, so the result does not depend on the thread count.
private struct Conv2dBackwardVisitor: NumericTypeVisitor {
    let input: Tensor
    let weight: Tensor
    let gradient: Tensor
    let geometry: WindowGeometry
    let groups: Int
    /// Whether to compute the input gradient (not for a first layer fed with data).
    let wantsInputGradient: Bool
    /// Bytes of columns a chunk of images may unfold at once (a share of L2).
    static var columnBudget: Int { 512 << 10 }

    func visit<T: NumericElement>(_: T.Type) throws -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        let (batch, channels) = (input.shape[0], input.shape[1])
        let outChannels = weight.shape[0]
        let (groupIn, groupOut) = (channels / groups, outChannels / groups)
        let positions = geometry.outputHeight * geometry.outputWidth
        let patch = groupIn * geometry.kernelHeight * geometry.kernelWidth
        let plane = geometry.height * geometry.width
        let imageColumns = Swift.max(1, patch * positions * MemoryLayout<T>.stride)
        let chunkImages = Swift.max(1, Swift.min(batch, Self.columnBudget / imageColumns))
        let chunks = (batch + chunkImages - 1) / chunkImages
        let inputGradient = wantsInputGradient ? Tensor(uninitializedShape: input.shape, dtype: T.dtype) : nil
        // [O, N, positions]: one channel's gradient over the whole batch per row.
        let gradientByChannel = try gradient.reshaped([batch, outChannels, positions]).permuted([1, 0, 2]).contiguous()
        let weightCount = outChannels * patch
        let partials = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, chunks * weightCount))
        defer { partials.deallocate() }
        let (x, w, g) = (input.elementPointer(T.self), weight.elementPointer(T.self), gradient.elementPointer(T.self))
        let (dx, gc) = (inputGradient?.elementPointer(T.self), gradientByChannel.elementPointer(T.self))
        withExtendedLifetime((input, weight, gradient, gradientByChannel)) {
            parallelRanges(count: chunks, grain: 1) { chunkRange in
                let cols = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, patch * chunkImages * positions))
                let scratch =
                    dx == nil ? nil : UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, patch * positions))
                defer {
                    cols.deallocate()
                    scratch?.deallocate()
                }
                for chunk in chunkRange {
                    let first = chunk * chunkImages
                    let images = first..<Swift.min(first + chunkImages, batch)
                    let width = images.count * positions
                    for group in 0..<groups {
                        for n in images {
                            let image = x + (n * channels + group * groupIn) * plane
                            if let dx, let scratch {
                                // Input gradient: col2im(Wᵀ · g).
                                gemm(
                                    m: patch, n: positions, k: groupOut,
                                    a: MatrixOperand(
                                        base: w + group * groupOut * patch, rowStride: 1, columnStride: patch),
                                    b: MatrixOperand(
                                        base: g + (n * outChannels + group * groupOut) * positions,
                                        rowStride: positions, columnStride: 1),
                                    c: scratch, ldc: positions)
                                col2im(
                                    scratch, channels: groupIn, geometry: geometry,
                                    into: dx + (image - x))
                            }
                            im2col(
                                image, channels: groupIn, geometry: geometry,
                                into: cols + (n - first) * positions, rowStride: width)
                        }
                        // This chunk's share of the weight gradient: g [groupOut, width] · colsᵀ.
                        gemm(
                            m: groupOut, n: patch, k: width,
                            a: MatrixOperand(
                                base: gc + group * groupOut * batch * positions + first * positions,
                                rowStride: batch * positions, columnStride: 1),
                            b: MatrixOperand(base: cols, rowStride: 1, columnStride: width),
                            c: partials + chunk * weightCount + group * groupOut * patch, ldc: patch)
                    }
                }
            }
        }
        let weightGradient = Tensor(uninitializedShape: weight.shape, dtype: T.dtype)
        let dw = weightGradient.elementPointer(T.self)
        dw.update(from: partials, count: weightCount)
        for chunk in 1..<Swift.max(chunks, 1) {
            let partial = partials + chunk * weightCount
            for i in 0..<weightCount { dw[i] = T.add(dw[i], partial[i]) }
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
            groups: groups, wantsInputGradient: true)
        return (gradients.input!, gradients.weight, gradients.bias)  // Invariant: asked for.
    }

    /// `conv2dBackward` that skips the input gradient unless `wantsInputGradient`.
    package func conv2dBackward(
        weight: Tensor, outputGradient: Tensor, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int),
        groups: Int, wantsInputGradient: Bool
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
            wantsInputGradient: wantsInputGradient)
        return try dtype.visitNumeric(visitor, op: "conv2dBackward")
    }
}
