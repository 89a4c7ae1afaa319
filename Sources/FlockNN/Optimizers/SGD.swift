import FlockTensor

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight
/// decay, as PyTorch's `SGD` (dampening 0): v = μv + g; p -= lr·(g + μv if Nesterov else v).
public final class SGD: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Double
    /// Momentum factor μ (0: plain SGD).
    public let momentum: Double
    /// Use Nesterov momentum.
    public let nesterov: Bool
    /// L2 penalty added to the gradient.
    public let weightDecay: Double
    private var slots = OptimizerSlots()

    /// Creates the optimizer.
    public init(
        _ parameters: [Parameter], learningRate: Double, momentum: Double = 0, nesterov: Bool = false,
        weightDecay: Double = 0
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step() throws {
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.grad else { continue }
            var velocity = slots[index, "momentum"]
            slots[index, "momentum"] = nil  // so the kernel updates the buffer in place
            try OptimizerKernels.sgd(
                parameter: &parameter.value, gradient: gradient, velocity: &velocity, learningRate: learningRate,
                momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
            slots[index, "momentum"] = velocity
        }
    }

    public func stateTensors() -> [(String, Tensor)] { slots.sorted }

    public func loadStateTensors(_ state: [String: Tensor]) throws {
        try slots.load(state, parameters: parameters, names: ["momentum"])
    }
}
