import FlockTensor

/// Layer normalisation over the trailing `normalizedShape` axes, composed from primitives
/// (mean, variance, division), with a learned scale and shift (PyTorch's `LayerNorm`).
public final class LayerNorm: Module {
    /// Scale γ and shift β, each of `normalizedShape`.
    public let weight: Parameter, bias: Parameter
    /// Added to the variance for stability.
    public let epsilon: Double

    /// Normalises over trailing axes of `normalizedShape` (e.g. `[dim]`).
    public init(_ normalizedShape: [Int], epsilon: Double = 1e-5) {
        // Invariant: shapes of modules are non-negative.
        weight = Parameter(try! Tensor.ones(normalizedShape))
        bias = Parameter(try! Tensor.zeros(normalizedShape))
        self.epsilon = epsilon
    }

    public override func forward(_ input: Variable) throws -> Variable {
        let count = weight.value.rank
        guard input.shape.suffix(count) == weight.value.shape[...] else {
            throw ModuleError.invalidInput(
                module: "LayerNorm", reason: "input \(input.shape) does not end with \(weight.value.shape)")
        }
        let axes = Array((input.shape.count - count)..<input.shape.count)
        let centered = try input - input.mean(axes: axes, keepDims: true)
        let variance = try (centered * centered).mean(axes: axes, keepDims: true)
        return try centered / (variance + epsilon).sqrt() * weight.variable + bias.variable
    }
}

/// Batch normalisation over the channel axis 1 of [N, C], [N, C, L] or [N, C, H, W] input
/// (PyTorch's BatchNorm1d/2d): training normalises with the batch's statistics and updates
/// running estimates (momentum 0.1, unbiased variance); evaluation uses the estimates.
public final class BatchNorm: Module {
    /// Scale γ and shift β, [C].
    public let weight: Parameter, bias: Parameter
    /// Running estimates of the per-channel mean and variance, [C].
    public let runningMean: Buffer, runningVariance: Buffer
    /// Weight of the newest batch in the running estimates.
    public let momentum: Double
    /// Added to the variance for stability.
    public let epsilon: Double

    /// Creates a layer for `channels` channels.
    public init(_ channels: Int, momentum: Double = 0.1, epsilon: Double = 1e-5) {
        // Invariant: channel counts are non-negative.
        weight = Parameter(try! Tensor.ones([channels]))
        bias = Parameter(try! Tensor.zeros([channels]))
        runningMean = Buffer(try! Tensor.zeros([channels]))
        runningVariance = Buffer(try! Tensor.ones([channels]))
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public override func forward(_ input: Variable) throws -> Variable {
        let channels = weight.value.count
        guard input.shape.count >= 2, input.shape[1] == channels else {
            throw ModuleError.invalidInput(
                module: "BatchNorm(\(channels))", reason: "expected [N, \(channels), ...] input, got \(input.shape)")
        }
        let axes = [0] + Array(2..<input.shape.count)
        let broadcastShape = [1, channels] + Array(repeating: 1, count: input.shape.count - 2)
        let normalized: Variable
        if isTraining {
            let count = axes.reduce(1) { $0 * input.shape[$1] }
            guard count > 1 else {
                throw ModuleError.invalidInput(
                    module: "BatchNorm(\(channels))",
                    reason: "training needs more than one value per channel, got \(input.shape)")
            }
            let mean = try input.mean(axes: axes, keepDims: true)
            let centered = try input - mean
            let variance = try (centered * centered).mean(axes: axes, keepDims: true)
            normalized = try centered / (variance + epsilon).sqrt()
            try noGrad {
                let batchMean = try mean.value.reshaped([channels])
                let unbiased = try variance.value.reshaped([channels]) * (Double(count) / Double(count - 1))
                runningMean.value = try runningMean.value * (1 - momentum) + batchMean * momentum
                runningVariance.value = try runningVariance.value * (1 - momentum) + unbiased * momentum
            }
        } else {
            let mean = try runningMean.value.reshaped(broadcastShape)
            let deviation = (try runningVariance.value.reshaped(broadcastShape) + epsilon).sqrt()
            normalized = try (input - Variable(mean)) / Variable(deviation)
        }
        return try normalized * weight.variable.reshaped(broadcastShape) + bias.variable.reshaped(broadcastShape)
    }
}
