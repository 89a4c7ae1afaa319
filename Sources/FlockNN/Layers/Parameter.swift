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
    /// The hooks `addGradientReadyHook` registered, in order, by token.
    private(set) var gradientReadyHooks: [(token: GradientHookToken, hook: (Parameter) throws -> Void)] = []
    private var nextHook = 0
    /// The graph leaf for this parameter (see `leafNode`).
    var storedLeaf: GradientNode?

    /// Creates a parameter holding `value`.
    public init(_ value: Tensor, requiresGrad: Bool = true) {
        self.value = value
        self.requiresGrad = requiresGrad
    }

    /// Calls `hook` after each backward pass has produced this parameter's final gradient
    /// for that pass (all paths through the graph have contributed): data-parallel
    /// training starts communicating a gradient bucket from here, during the rest of the
    /// backward pass. An error a hook throws ends the backward pass and is rethrown by
    /// `backward()`. Returns the token that removes it.
    @discardableResult
    public func addGradientReadyHook(_ hook: @escaping (Parameter) throws -> Void) -> GradientHookToken {
        nextHook += 1
        let token = GradientHookToken(value: nextHook)
        gradientReadyHooks.append((token, hook))
        return token
    }

    /// Removes the hook that `addGradientReadyHook` registered under `token`.
    public func removeGradientReadyHook(_ token: GradientHookToken) {
        gradientReadyHooks.removeAll { $0.token == token }
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

/// Names a hook registered on a parameter, to remove it later.
public struct GradientHookToken: Hashable, Sendable {
    let value: Int
}
