import Foundation

/// A learning rate as a function of the step: set `optimizer.learningRate =
/// schedule.learningRate(at: step)` before each step.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for `step` (counting from 0).
    func learningRate(at step: Int) -> Double
}

/// Multiplies the base rate by `gamma` every `stepSize` steps (PyTorch's StepLR).
public struct StepDecay: LearningRateSchedule {
    /// Initial rate, steps between decays, and the decay factor.
    public let base: Double, stepSize: Int, gamma: Double
    /// Creates the schedule.
    public init(base: Double, stepSize: Int, gamma: Double = 0.1) {
        self.base = base
        self.stepSize = max(stepSize, 1)
        self.gamma = gamma
    }
    public func learningRate(at step: Int) -> Double { base * pow(gamma, Double(max(step, 0) / stepSize)) }
}

/// Cosine annealing from `base` to `minimum` over `totalSteps` (then stays at minimum).
public struct CosineAnnealing: LearningRateSchedule {
    /// Initial rate, steps to reach the minimum, and the minimum.
    public let base: Double, totalSteps: Int, minimum: Double
    /// Creates the schedule.
    public init(base: Double, totalSteps: Int, minimum: Double = 0) {
        self.base = base
        self.totalSteps = max(totalSteps, 1)
        self.minimum = minimum
    }
    public func learningRate(at step: Int) -> Double {
        let progress = min(Double(max(step, 0)) / Double(totalSteps), 1)
        return minimum + (base - minimum) * (1 + cos(Double.pi * progress)) / 2
    }
}

/// Ramps linearly from base/warmupSteps up to the wrapped schedule's rate over
/// `warmupSteps`, then follows that schedule (its step counted from the warmup's end).
public struct LinearWarmup<Inner: LearningRateSchedule>: LearningRateSchedule {
    /// Steps of the linear ramp.
    public let warmupSteps: Int
    /// The schedule followed after the ramp.
    public let inner: Inner
    /// Warms up into `inner`.
    public init(warmupSteps: Int, then inner: Inner) {
        self.warmupSteps = max(warmupSteps, 0)
        self.inner = inner
    }
    public func learningRate(at step: Int) -> Double {
        guard step < warmupSteps else { return inner.learningRate(at: step - warmupSteps) }
        return inner.learningRate(at: 0) * Double(step + 1) / Double(warmupSteps)
    }
}
