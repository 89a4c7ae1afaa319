import FlockTensor

/// A tensor that remembers how it was computed, so that gradients can flow back to the
/// parameters it came from (reverse-mode automatic differentiation over a dynamic graph,
/// recorded while operations run, as in PyTorch).
///
/// Operations on variables compute their value at once (eagerly) and, when grad mode is
/// on and an input needs a gradient, record a `GradientNode`. `backward()` on a scalar
/// result walks the recorded graph from the output back to the parameters.
public struct Variable {
    /// The computed value.
    public let value: Tensor
    /// The node that produced this value, nil for constants.
    let node: GradientNode?

    /// A constant: no gradient flows into it.
    public init(_ value: Tensor) {
        self.value = value
        node = nil
    }

    init(value: Tensor, node: GradientNode?) {
        self.value = value
        self.node = node
    }

    /// The current value of a parameter as a graph leaf.
    init(parameter: Parameter) {
        value = parameter.value
        node = parameter.requiresGrad ? parameter.leafNode : nil
    }

    /// Whether gradients flow into this variable.
    public var requiresGrad: Bool { node != nil }
    /// The value's shape.
    public var shape: [Int] { value.shape }
    /// The value's dtype.
    public var dtype: DType { value.dtype }

    /// The same value cut off from the graph (no gradient flows through it).
    public func detached() -> Variable { Variable(value) }

    /// The parameters that `backward()` from this variable would give a gradient, in no
    /// particular order (data-parallel training uses it to find unused parameters).
    public func parametersReached() -> [Parameter] {
        var seen = Set<ObjectIdentifier>()
        var pending = node.map { [$0] } ?? []
        var found: [Parameter] = []
        while let current = pending.popLast() {
            guard seen.insert(ObjectIdentifier(current)).inserted else { continue }
            if let parameter = current.parameter { found.append(parameter) }
            pending += current.inputs.compactMap { $0 }
        }
        return found
    }

    /// Records an operation: returns `value` tied to `inputs` by `backward` when grad mode
    /// is on and some input needs a gradient, else a constant.
    static func record(
        _ operation: String, _ value: Tensor, inputs: [Variable], backward: @escaping (Tensor) throws -> [Tensor?]
    ) -> Variable {
        guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return Variable(value) }
        let node = GradientNode(
            operation: operation, inputs: inputs.map(\.node), shape: value.shape, backward: backward)
        return Variable(value: value, node: node)
    }
}

extension Parameter {
    /// The persistent leaf node for this parameter: every use in a graph points here, so
    /// backward knows when all contributions to its gradient have arrived.
    var leafNode: GradientNode {
        if let existing = storedLeaf, existing.shape == value.shape { return existing }
        let node = GradientNode(leaf: self, shape: value.shape)
        storedLeaf = node
        return node
    }
}

/// Whether operations record the graph. Off inside `noGrad { }` (evaluation, optimizer
/// updates), which saves the memory and time of recording.
public enum GradMode {
    @TaskLocal static var enabledValue = true

    /// Whether recording is on in the current context.
    public static var isEnabled: Bool { enabledValue }
}

/// Runs `body` without recording gradients.
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$enabledValue.withValue(false) { try body() }
}
