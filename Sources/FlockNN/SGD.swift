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
            guard var gradient = parameter.grad else { continue }
            if weightDecay != 0 { gradient = try gradient + parameter.value * weightDecay }
            if momentum != 0 {
                let velocity = try slots[index, "momentum"].map { try $0 * momentum + gradient } ?? gradient
                slots[index, "momentum"] = velocity
                gradient = nesterov ? try gradient + velocity * momentum : velocity
            }
            parameter.value = try parameter.value - gradient * learningRate
        }
    }

    public func stateTensors() -> [(String, Tensor)] { slots.sorted }

    public func loadStateTensors(_ state: [String: Tensor]) throws {
        try slots.load(state, parameters: parameters, names: ["momentum"])
    }
}
