import FlockTensor
import Foundation

/// Adam (Kingma & Ba) with bias correction; `decoupledWeightDecay` makes it AdamW
/// (Loshchilov & Hutter: p -= lr·wd·p, separate from the gradient), otherwise weight decay
/// is an L2 term added to the gradient, as in PyTorch's `Adam`.
public final class Adam: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Double
    /// Decay rates of the first and second moment estimates.
    public let betas: (Double, Double)
    /// Added to the denominator for stability.
    public let epsilon: Double
    /// Weight decay factor.
    public let weightDecay: Double
    /// AdamW's decoupled weight decay.
    public let decoupledWeightDecay: Bool
    /// Steps taken (for bias correction).
    public private(set) var stepCount = 0
    private var slots = OptimizerSlots()

    /// Creates Adam (or AdamW with `decoupledWeightDecay`).
    public init(
        _ parameters: [Parameter], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        epsilon: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.betas = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// AdamW: Adam with decoupled weight decay (default 0.01, as in PyTorch).
    public static func adamW(_ parameters: [Parameter], learningRate: Double = 1e-3, weightDecay: Double = 0.01) -> Adam
    {
        Adam(parameters, learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public func step() throws {
        stepCount += 1
        let correction1 = 1 - pow(betas.0, Double(stepCount))
        let correction2 = 1 - pow(betas.1, Double(stepCount))
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.grad else { continue }
            var first = slots[index, "exp_avg"] ?? gradient.zerosLike()
            var second = slots[index, "exp_avg_sq"] ?? gradient.zerosLike()
            // Release the slots' references so the kernel updates the buffers in place.
            slots[index, "exp_avg"] = nil
            slots[index, "exp_avg_sq"] = nil
            try OptimizerKernels.adam(
                parameter: &parameter.value, gradient: gradient, firstMoment: &first, secondMoment: &second,
                learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: weightDecay,
                decoupled: decoupledWeightDecay, corrections: (correction1, correction2))
            slots[index, "exp_avg"] = first
            slots[index, "exp_avg_sq"] = second
        }
    }

    public func stateTensors() -> [(String, Tensor)] {
        slots.sorted + [("step", Tensor(scalar: Int64(stepCount)))]
    }

    public func loadStateTensors(_ state: [String: Tensor]) throws {
        var rest = state
        if let step = rest.removeValue(forKey: "step") { stepCount = Int(try step.item(as: Int64.self)) }
        try slots.load(rest, parameters: parameters, names: ["exp_avg", "exp_avg_sq"])
    }
}
