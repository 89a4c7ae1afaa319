import FlockTensor

/// A trainable tensor with identity: modules own parameters, optimizers update them in
/// place, and backward accumulates their gradients into `grad`.
public final class Parameter {
    /// The current value.
    public var value: Tensor
    /// The accumulated gradient (nil until a backward pass reaches this parameter, or
    /// after `zeroGrad`). Successive backward passes add to it (gradient accumulation).
    public var grad: Tensor?
    /// Whether backward computes a gradient for it.
    public var requiresGrad: Bool
    /// Called after a backward pass has produced this parameter's final gradient for that
    /// pass (all paths through the graph have contributed): data-parallel training starts
    /// communicating a gradient bucket from here, during the rest of the backward pass.
    /// An error a hook throws ends the backward pass and is rethrown by `backward()`.
    public var gradientReadyHooks: [(Parameter) throws -> Void] = []
    /// The graph leaf for this parameter (see `leafNode`).
    var storedLeaf: GradientNode?

    /// Creates a parameter holding `value`.
    public init(_ value: Tensor, requiresGrad: Bool = true) {
        self.value = value
        self.requiresGrad = requiresGrad
    }

    /// The parameter as a graph input: operations on it record how to reach its gradient.
    public var variable: Variable { Variable(parameter: self) }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// Adds `gradient` to `grad` (the first contribution is stored as is).
    func accumulate(_ gradient: Tensor) throws {
        if let grad {
            self.grad = try grad + gradient
        } else {
            self.grad = gradient
        }
    }
}
