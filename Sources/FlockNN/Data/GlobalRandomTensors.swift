import FlockTensor

/// Random tensors drawn from `GlobalRandom` (like `torch.randn`), for code that does not
/// thread a generator: `GlobalRandom.seed(42); let x = try Tensor.randomNormal([16, 4])`.
/// Reproducible parallel code passes its own `generator:` instead (FlockTensor's overloads).
extension Tensor {
    /// Normal samples from the global generator (see `randomNormal(_:mean:std:dtype:generator:)`).
    public static func randomNormal(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32)
        throws -> Tensor
    {
        try GlobalRandom.withGenerator {
            try randomNormal(shape, mean: mean, std: std, dtype: dtype, generator: &$0)
        }
    }

    /// Uniform samples in `[low, high)` from the global generator.
    public static func randomUniform(_ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32)
        throws -> Tensor
    {
        try GlobalRandom.withGenerator {
            try randomUniform(shape, low: low, high: high, dtype: dtype, generator: &$0)
        }
    }

    /// Bool samples, true with probability `probability`, from the global generator.
    public static func bernoulli(_ shape: [Int], probability: Double) throws -> Tensor {
        try GlobalRandom.withGenerator { try bernoulli(shape, probability: probability, generator: &$0) }
    }

    /// Uniform integers in `low..<high` from the global generator.
    public static func randint(_ low: Int, _ high: Int, shape: [Int], dtype: DType = .int64) throws -> Tensor {
        try GlobalRandom.withGenerator { try randint(low, high, shape: shape, dtype: dtype, generator: &$0) }
    }

    /// A random permutation of `0..<n` from the global generator.
    public static func permutation(_ n: Int) throws -> Tensor {
        try GlobalRandom.withGenerator { try permutation(n, generator: &$0) }
    }
}
