import FlockTensor

/// The window of a pooling layer; `MaxPool2d` and `AvgPool2d` differ only in `forward`.
public class Pool2d: Module {
    /// Window size, stride (default: the window) and padding.
    public let kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int)

    /// Creates the layer.
    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }
}

/// Max pooling as a module.
public final class MaxPool2d: Pool2d {
    public override func forward(_ input: Variable) throws -> Variable {
        try input.maxPool2d(kernel: kernel, stride: stride, padding: padding)
    }
}

/// Average pooling (padding counted in the divisor, as PyTorch's default) as a module.
public final class AvgPool2d: Pool2d {
    public override func forward(_ input: Variable) throws -> Variable {
        try input.avgPool2d(kernel: kernel, stride: stride, padding: padding)
    }
}
