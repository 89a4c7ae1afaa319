import FlockTensor

extension Variable {
    /// 2-D convolution (see `Tensor.conv2d`), differentiable in input, weight and bias.
    public func conv2d(
        weight: Variable, bias: Variable? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
        dilation: (Int, Int) = (1, 1), groups: Int = 1
    ) throws -> Variable {
        let (x, w) = (value, weight.value)
        let output = try x.conv2d(
            weight: w, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let inputs = [self, weight] + (bias.map { [$0] } ?? [])
        let wantsInputGradient = requiresGrad
        return Variable.record("conv2d", output, inputs: inputs) { g in
            let gradients = try x.conv2dBackward(
                weight: w, outputGradient: g, stride: stride, padding: padding, dilation: dilation, groups: groups,
                wantsInputGradient: wantsInputGradient)
            return [gradients.input, gradients.weight] + (bias == nil ? [] : [gradients.bias])
        }
    }

    /// Max pooling (see `Tensor.maxPool2d`); the gradient goes to each window's maximum,
    /// found through the indices the forward pass kept.
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) throws
        -> Variable
    {
        let (output, indices) = try value.maxPool2dWithIndices(kernel: kernel, stride: stride, padding: padding)
        let inputShape = value.shape
        return Variable.record("maxPool2d", output, inputs: [self]) { g in
            [try Tensor.maxPool2dBackward(outputGradient: g, indices: indices, inputShape: inputShape)]
        }
    }

    /// Average pooling (see `Tensor.avgPool2d`); the gradient is shared by each window.
    public func avgPool2d(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), countPadding: Bool = true
    ) throws -> Variable {
        let x = value
        let output = try x.avgPool2d(kernel: kernel, stride: stride, padding: padding, countPadding: countPadding)
        return Variable.record("avgPool2d", output, inputs: [self]) { g in
            [
                try x.avgPool2dBackward(
                    outputGradient: g, kernel: kernel, stride: stride, padding: padding, countPadding: countPadding)
            ]
        }
    }
}
