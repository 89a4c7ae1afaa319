import FlockTensor

/// RMSprop as in PyTorch: v = αv + (1-α)g²; with momentum μ, b = μb + g/(√v + ε) and
/// p -= lr·b, otherwise p -= lr·g/(√v + ε). Weight decay is an L2 term on the gradient.
public final class RMSprop: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Double
    /// Smoothing constant α of the squared-gradient average.
    public let alpha: Double
    /// Added to the denominator for stability.
    public let epsilon: Double
    /// Momentum factor μ (0: none).
    public let momentum: Double
    /// L2 penalty added to the gradient.
    public let weightDecay: Double
    private var slots = OptimizerSlots()

    /// Creates the optimizer.
    public init(
        _ parameters: [Parameter], learningRate: Double = 0.01, alpha: Double = 0.99, epsilon: Double = 1e-8,
        momentum: Double = 0, weightDecay: Double = 0
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public func step() throws {
        for (index, parameter) in parameters.enumerated() {
            guard var gradient = parameter.grad else { continue }
            if weightDecay != 0 { gradient = try gradient + parameter.value * weightDecay }
            let average =
                try (slots[index, "square_avg"] ?? gradient.zerosLike()) * alpha + (gradient * gradient) * (1 - alpha)
            slots[index, "square_avg"] = average
            let scaled = try gradient / (average.sqrt() + epsilon)
            if momentum != 0 {
                let buffer = try (slots[index, "momentum_buffer"].map { $0 * momentum } ?? scaled.zerosLike()) + scaled
                slots[index, "momentum_buffer"] = buffer
                parameter.value = try parameter.value - buffer * learningRate
            } else {
                parameter.value = try parameter.value - scaled * learningRate
            }
        }
    }

    public func stateTensors() -> [(String, Tensor)] { slots.sorted }

    public func loadStateTensors(_ state: [String: Tensor]) throws {
        try slots.load(state, parameters: parameters, names: ["square_avg", "momentum_buffer"])
    }
}
