/// Fused, in-place optimizer updates: one pass over parameter, gradient and state instead
/// of the ten temporary tensors the same formulas cost when written with tensor ops.
/// The optimizers in FlockNN call these; the formulas are documented there.
package enum OptimizerKernels {
    /// SGD with momentum μ, Nesterov and L2 weight decay (PyTorch's formula, dampening 0):
    /// g' = g + wd·p; v = μv + g' (v starts at zero, so v = g' on the first step);
    /// p -= lr·(g' + μv or v). `velocity` is created when nil and momentum is nonzero, and
    /// stays nil without momentum.
    package static func sgd(
        parameter: inout Tensor, gradient: Tensor, velocity: inout Tensor?, learningRate: Double, momentum: Double,
        nesterov: Bool, weightDecay: Double
    ) throws {
        try checkOperands(parameter, gradient, op: "sgd")
        var buffer = momentum == 0 ? nil : try velocity ?? Tensor.zeros(parameter.shape, dtype: parameter.dtype)
        velocity = nil  // one owner, so the buffer is updated in place rather than copied
        if parameter.dtype == .float64 {
            try sgdLoop(Double.self, &parameter, gradient, &buffer, learningRate, momentum, nesterov, weightDecay)
        } else {
            try sgdLoop(Float.self, &parameter, gradient, &buffer, learningRate, momentum, nesterov, weightDecay)
        }
        velocity = buffer
    }

    /// Adam / AdamW: m = β1m + (1-β1)g; v = β2v + (1-β2)g²;
    /// p -= lr·(m/c1) / (sqrt(v/c2) + ε), with c1, c2 the bias corrections; weight decay is
    /// decoupled (p *= 1 - lr·wd) or L2 (g += wd·p).
    package static func adam(
        parameter: inout Tensor, gradient: Tensor, firstMoment: inout Tensor, secondMoment: inout Tensor,
        learningRate: Double, betas: (Double, Double), epsilon: Double, weightDecay: Double, decoupled: Bool,
        corrections: (Double, Double)
    ) throws {
        try checkOperands(parameter, gradient, op: "adam")
        try checkOperands(parameter, firstMoment, op: "adam")
        try checkOperands(parameter, secondMoment, op: "adam")
        let settings = AdamSettings(
            learningRate: learningRate, beta1: betas.0, beta2: betas.1, epsilon: epsilon, weightDecay: weightDecay,
            decoupled: decoupled, correction1: corrections.0, correction2: corrections.1)
        if parameter.dtype == .float64 {
            try adamLoop(Double.self, &parameter, gradient, &firstMoment, &secondMoment, settings)
        } else {
            try adamLoop(Float.self, &parameter, gradient, &firstMoment, &secondMoment, settings)
        }
    }

    private struct AdamSettings {
        let learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double
        let decoupled: Bool, correction1: Double, correction2: Double
    }

    private static func checkOperands(_ parameter: Tensor, _ other: Tensor, op: String) throws {
        guard parameter.dtype.isFloatingPoint else {
            throw TensorError.unsupportedDType(
                op: op, dtype: parameter.dtype, reason: "parameters must be float32 or float64")
        }
        guard other.shape == parameter.shape else {
            throw TensorError.shapeMismatch(
                op: op, lhs: parameter.shape, rhs: other.shape, reason: "optimizer state must match the parameter")
        }
    }

    private static func sgdLoop<T: FloatElement>(
        _: T.Type, _ parameter: inout Tensor, _ gradient: Tensor, _ velocity: inout Tensor?, _ lr: Double,
        _ momentum: Double, _ nesterov: Bool, _ weightDecay: Double
    ) throws {
        let g = gradient.casted(to: T.dtype)
        let (rate, mu, decay) = (T(lr), T(momentum), T(weightDecay))
        try g.withUnsafeScalars(as: T.self) { grad in
            try parameter.withUnsafeMutableScalars(as: T.self) { p in
                guard var buffer = velocity else {
                    parallelRanges(count: p.count, grain: elementwiseGrain) { range in
                        for i in range { p[i] -= rate * (grad[i] + decay * p[i]) }
                    }
                    return
                }
                velocity = nil  // keep the buffer uniquely owned while it is written
                try buffer.withUnsafeMutableScalars(as: T.self) { v in
                    parallelRanges(count: p.count, grain: elementwiseGrain) { range in
                        for i in range {
                            let g = grad[i] + decay * p[i]
                            let updated = mu * v[i] + g
                            v[i] = updated
                            p[i] -= rate * (nesterov ? g + mu * updated : updated)
                        }
                    }
                }
                velocity = buffer
            }
        }
    }

    private static func adamLoop<T: FloatElement>(
        _: T.Type, _ parameter: inout Tensor, _ gradient: Tensor, _ first: inout Tensor, _ second: inout Tensor,
        _ s: AdamSettings
    ) throws {
        let g = gradient.casted(to: T.dtype)
        let (b1, b2, eps) = (T(s.beta1), T(s.beta2), T(s.epsilon))
        let step = T(s.learningRate / s.correction1)
        let inverseCorrection2 = T(1 / s.correction2)
        let shrink = T(s.decoupled ? 1 - s.learningRate * s.weightDecay : 1)
        let l2 = T(s.decoupled ? 0 : s.weightDecay)
        try g.withUnsafeScalars(as: T.self) { grad in
            try parameter.withUnsafeMutableScalars(as: T.self) { p in
                try first.withUnsafeMutableScalars(as: T.self) { m in
                    try second.withUnsafeMutableScalars(as: T.self) { v in
                        parallelRanges(count: p.count, grain: elementwiseGrain) { range in
                            for i in range {
                                let gi = grad[i] + l2 * p[i]
                                let mi = b1 * m[i] + (1 - b1) * gi
                                let vi = b2 * v[i] + (1 - b2) * gi * gi
                                m[i] = mi
                                v[i] = vi
                                p[i] = p[i] * shrink - step * mi / ((vi * inverseCorrection2).squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
    }
}
