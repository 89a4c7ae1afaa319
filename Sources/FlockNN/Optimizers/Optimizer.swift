import FlockTensor

/// Updates parameters from their gradients. Call `zeroGrad()` before each backward pass
/// (gradients accumulate otherwise) and `step()` after it.
public protocol Optimizer: AnyObject {
    /// The parameters it updates, in a stable order.
    var parameters: [Parameter] { get }
    /// The learning rate used by the next `step()` (schedules set it).
    var learningRate: Double { get set }
    /// Applies one update to every parameter that has a gradient.
    func step() throws
    /// Per-parameter state tensors by name (`"3.momentum"`: state of parameter 3), for
    /// checkpoints.
    func stateTensors() -> [(String, Tensor)]
    /// Restores state saved by `stateTensors()`.
    func loadStateTensors(_ state: [String: Tensor]) throws
}

extension Optimizer {
    /// Forgets every parameter's gradient.
    public func zeroGrad() {
        for parameter in parameters { parameter.zeroGrad() }
    }
}

/// Per-parameter state slots (momentum buffers, moment estimates) keyed by position.
struct OptimizerSlots {
    private(set) var tensors: [String: Tensor] = [:]

    subscript(_ index: Int, _ name: String) -> Tensor? {
        get { tensors["\(index).\(name)"] }
        set { tensors["\(index).\(name)"] = newValue }
    }

    var sorted: [(String, Tensor)] { tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }

    /// Replaces the slots, checking that every entry belongs to an existing parameter
    /// and has its shape.
    mutating func load(_ state: [String: Tensor], parameters: [Parameter], names: Set<String>) throws {
        for (key, tensor) in state {
            let parts = key.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, let index = Int(parts[0]), parameters.indices.contains(index),
                names.contains(String(parts[1]))
            else {
                throw ModuleError.stateMismatch(missing: [], unexpected: [key])
            }
            guard tensor.shape == parameters[index].value.shape else {
                throw ModuleError.stateShapeMismatch(
                    name: key, expected: parameters[index].value.shape, got: tensor.shape)
            }
        }
        tensors = state
    }
}

/// Scales all gradients so that their global L2 norm is at most `maxNorm`; returns the
/// norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Double) throws -> Double {
    var total = 0.0
    for parameter in parameters {
        if let grad = parameter.grad { total += try (grad * grad).sum().doubleScalars()[0] }
    }
    let norm = total.squareRoot()
    if norm > maxNorm, norm > 0 {
        let scale = maxNorm / (norm + 1e-6)
        for parameter in parameters { parameter.grad = parameter.grad.map { $0 * scale } }
    }
    return norm
}
