import FlockTensor

/// Loss functions: each returns the mean over the batch as a scalar variable.
public enum Loss {
    /// Mean squared error between predictions and targets of the same shape.
    public static func meanSquaredError(_ prediction: Variable, _ target: Tensor) throws -> Variable {
        guard prediction.shape == target.shape else {
            throw ModuleError.invalidInput(
                module: "meanSquaredError", reason: "prediction \(prediction.shape) and target \(target.shape) differ")
        }
        let difference = try prediction - Variable(target.casted(to: prediction.dtype))
        return try (difference * difference).mean()
    }

    /// Cross-entropy of `[N, C]` logits against `[N]` integer class labels, with optional
    /// label smoothing ε: (1-ε)·NLL + ε·mean over classes of -log p.
    public static func crossEntropy(_ logits: Variable, labels: Tensor, labelSmoothing: Double = 0) throws -> Variable {
        try checkClassification(logits.shape, labels, op: "crossEntropy")
        guard labelSmoothing >= 0, labelSmoothing <= 1 else {
            throw ModuleError.invalidInput(
                module: "crossEntropy", reason: "label smoothing must be in [0, 1], got \(labelSmoothing)")
        }
        let logProbabilities = try logits.logSoftmax(axis: 1)
        let nll = try negativeLogLikelihood(logProbabilities, labels: labels)
        guard labelSmoothing > 0 else { return nll }
        let uniform = try -logProbabilities.mean()
        return try nll * (1 - labelSmoothing) + uniform * labelSmoothing
    }

    /// Negative log-likelihood of `[N, C]` log-probabilities at `[N]` integer labels.
    public static func negativeLogLikelihood(_ logProbabilities: Variable, labels: Tensor) throws -> Variable {
        try checkClassification(logProbabilities.shape, labels, op: "negativeLogLikelihood")
        let picked = try logProbabilities.gather(axis: 1, index: labels.casted(to: .int64).unsqueezed(1))
        return try -picked.mean()
    }

    /// Binary cross-entropy on logits (numerically stable form softplus(x) - x·y),
    /// targets in [0, 1] of the same shape.
    public static func binaryCrossEntropyWithLogits(_ logits: Variable, _ target: Tensor) throws -> Variable {
        guard logits.shape == target.shape else {
            throw ModuleError.invalidInput(
                module: "binaryCrossEntropyWithLogits",
                reason: "logits \(logits.shape) and target \(target.shape) differ")
        }
        return try (logits.softplus() - logits * Variable(target.casted(to: logits.dtype))).mean()
    }

    private static func checkClassification(_ shape: [Int], _ labels: Tensor, op: String) throws {
        guard shape.count == 2, labels.shape == [shape[0]], labels.dtype.isInteger else {
            throw ModuleError.invalidInput(
                module: op,
                reason:
                    "expected [N, C] scores and [N] integer labels, got \(shape) and \(labels.shape) \(labels.dtype)")
        }
    }
}
