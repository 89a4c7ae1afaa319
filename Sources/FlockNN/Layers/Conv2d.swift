import FlockTensor

/// A 2-D convolution layer over [N, C, H, W] input with weight [out, in/groups, kh, kw]
/// and an optional bias, initialised as PyTorch does (uniform ±1/sqrt(fan_in)).
public final class Conv2d: Module {
    /// Kernels, [outChannels, inChannels / groups, kernelHeight, kernelWidth].
    public let weight: Parameter
    /// Bias, [outChannels], when enabled.
    public let bias: Parameter?
    /// Step between windows.
    public let stride: (Int, Int)
    /// Zero padding on each side.
    public let padding: (Int, Int)
    /// Spacing between kernel taps.
    public let dilation: (Int, Int)
    /// Channel groups (inChannels and outChannels must be multiples).
    public let groups: Int

    /// Creates a layer drawing its initial weights from `GlobalRandom`.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true
    ) {
        let fanIn = max(1, inChannels / max(groups, 1) * kernelSize.0 * kernelSize.1)
        let bound = 1 / Double(fanIn).squareRoot()
        let shape = [outChannels, inChannels / max(groups, 1), kernelSize.0, kernelSize.1]
        let (w, b) = GlobalRandom.withGenerator { generator in
            // Invariant: the sizes are non-negative and the bounds ordered.
            (
                try! Tensor.randomUniform(shape, low: -bound, high: bound, generator: &generator),
                bias ? try! Tensor.randomUniform([outChannels], low: -bound, high: bound, generator: &generator) : nil
            )
        }
        weight = Parameter(w)
        self.bias = b.map { Parameter($0) }
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public override func forward(_ input: Variable) throws -> Variable {
        try input.conv2d(
            weight: weight.variable, bias: bias?.variable, stride: stride, padding: padding, dilation: dilation,
            groups: groups)
    }
}
