import FlockTensor

/// A fully connected layer: y = x Wᵀ + b, with W of shape [out, in] (PyTorch's layout,
/// so state dictionaries carry over). Initialised as PyTorch does by default: W and b
/// uniform in ±1/sqrt(in).
public final class Linear: Module {
    /// Weights, [outFeatures, inFeatures].
    public let weight: Parameter
    /// Bias, [outFeatures], when enabled.
    public let bias: Parameter?

    /// Creates a layer from `inFeatures` to `outFeatures`, drawing from `GlobalRandom`.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        let bound = 1 / Double(max(inFeatures, 1)).squareRoot()
        let (w, b) = GlobalRandom.withGenerator { generator in
            // Invariant: the sizes are positive and the bounds ordered.
            (
                try! Tensor.randomUniform([outFeatures, inFeatures], low: -bound, high: bound, generator: &generator),
                bias ? try! Tensor.randomUniform([outFeatures], low: -bound, high: bound, generator: &generator) : nil
            )
        }
        weight = Parameter(w)
        self.bias = b.map { Parameter($0) }
    }

    /// Applies the layer to `[..., inFeatures]` input.
    public override func forward(_ input: Variable) throws -> Variable {
        guard input.shape.last == weight.value.shape[1], input.shape.count >= 2 else {
            throw ModuleError.invalidInput(
                module: "Linear(\(weight.value.shape[1]), \(weight.value.shape[0]))",
                reason: "expected input of shape [batch, \(weight.value.shape[1])], got \(input.shape)")
        }
        return try input.linear(weight: weight.variable, bias: bias?.variable)
    }
}
