import FlockTensor

/// max(x, 0) as a module.
public final class ReLU: Module {
    public override init() {}
    public override func forward(_ input: Variable) throws -> Variable { input.relu() }
}

/// Exact (erf-based) GELU as a module.
public final class GELU: Module {
    public override init() {}
    public override func forward(_ input: Variable) throws -> Variable { input.gelu() }
}

/// tanh as a module.
public final class Tanh: Module {
    public override init() {}
    public override func forward(_ input: Variable) throws -> Variable { input.tanh() }
}

/// The logistic sigmoid as a module.
public final class Sigmoid: Module {
    public override init() {}
    public override func forward(_ input: Variable) throws -> Variable { input.sigmoid() }
}

/// Softmax along an axis as a module.
public final class Softmax: Module {
    /// The axis the probabilities sum to 1 along.
    public let axis: Int
    /// Creates a softmax over `axis`.
    public init(axis: Int = -1) { self.axis = axis }
    public override func forward(_ input: Variable) throws -> Variable { try input.softmax(axis: axis) }
}

/// Flattens every axis but the first: [N, ...] -> [N, rest].
public final class Flatten: Module {
    public override init() {}
    public override func forward(_ input: Variable) throws -> Variable { try input.flattenedBatch() }
}

/// Zeroes each element with probability `p` in training and scales the rest by 1/(1-p)
/// (inverted dropout); the identity in evaluation mode. Masks come from `GlobalRandom`.
public final class Dropout: Module {
    /// The drop probability.
    public let probability: Double

    /// Creates dropout with drop probability `p` in [0, 1).
    public init(_ p: Double = 0.5) { probability = min(max(p, 0), 0.999_999) }

    public override func forward(_ input: Variable) throws -> Variable {
        guard isTraining, probability > 0 else { return input }
        let keep = try GlobalRandom.withGenerator { generator in
            try Tensor.bernoulli(input.shape, probability: 1 - probability, generator: &generator)
        }
        let mask = keep.casted(to: input.dtype) * (1 / (1 - probability))
        return try input * Variable(mask)
    }
}
