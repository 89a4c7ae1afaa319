import FlockTensor

/// Applies modules one after another.
public final class Sequential: Module {
    /// The modules, in order (named `0`, `1`, ... in the state dictionary, as PyTorch's
    /// `nn.Sequential` names them, so its state dictionaries load as they are).
    public let layers: [Module]

    override class var indexNamedArray: String? { "layers" }

    /// Chains `layers`.
    public init(_ layers: [Module]) { self.layers = layers }

    /// Chains the given modules.
    public convenience init(_ layers: Module...) { self.init(layers) }

    public override func forward(_ input: Variable) throws -> Variable {
        try layers.reduce(input) { try $1($0) }
    }
}
