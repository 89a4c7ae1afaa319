extension Tensor {
    /// Normal samples with the given mean and standard deviation, drawn in row-major order
    /// from `generator` (so a seed gives the same tensor on every machine).
    public static func randomNormal(
        _ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32,
        generator: inout RandomGenerator
    ) throws -> Tensor {
        try validate(shape, op: "randomNormal")
        guard std >= 0 else {
            throw TensorError.invalidArgument(op: "randomNormal", reason: "std must be >= 0, got \(std)")
        }
        let values = (0..<shape.reduce(1, *)).map { _ in mean + std * generator.nextNormal() }
        return try Tensor(values, shape: shape).casted(to: floatingType(dtype, op: "randomNormal"))
    }

    /// Uniform samples in `[low, high)`.
    public static func randomUniform(
        _ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32,
        generator: inout RandomGenerator
    ) throws -> Tensor {
        try validate(shape, op: "randomUniform")
        guard low <= high else {
            throw TensorError.invalidArgument(op: "randomUniform", reason: "low \(low) is greater than high \(high)")
        }
        let dtype = try floatingType(dtype, op: "randomUniform")
        let count = shape.reduce(1, *)
        if dtype == .float32 {
            let values = (0..<count).map { _ in Float(low) + Float(high - low) * generator.nextUnitFloat() }
            return try Tensor(values, shape: shape)
        }
        let values = (0..<count).map { _ in low + (high - low) * generator.nextUnitDouble() }
        return try Tensor(values, shape: shape)
    }

    /// Bool samples that are true with probability `probability`.
    public static func bernoulli(
        _ shape: [Int], probability: Double, generator: inout RandomGenerator
    ) throws -> Tensor {
        try validate(shape, op: "bernoulli")
        guard probability >= 0, probability <= 1 else {
            throw TensorError.invalidArgument(
                op: "bernoulli", reason: "probability must be in [0, 1], got \(probability)")
        }
        let values = (0..<shape.reduce(1, *)).map { _ in generator.nextUnitDouble() < probability }
        return try Tensor(values, shape: shape)
    }

    /// Uniform integers in `low..<high` (int64 by default).
    public static func randint(
        _ low: Int, _ high: Int, shape: [Int], dtype: DType = .int64, generator: inout RandomGenerator
    ) throws -> Tensor {
        try validate(shape, op: "randint")
        guard low < high else {
            throw TensorError.invalidArgument(op: "randint", reason: "the range \(low)..<\(high) is empty")
        }
        let span = UInt64(high - low)
        let values = (0..<shape.reduce(1, *)).map { _ in Int64(low) + Int64(generator.nextInt(below: span)) }
        return try Tensor(values, shape: shape).casted(to: dtype)
    }

    /// A uniformly random permutation of `0..<n` (Fisher-Yates), as int64.
    public static func permutation(_ n: Int, generator: inout RandomGenerator) throws -> Tensor {
        guard n >= 0 else { throw TensorError.invalidArgument(op: "permutation", reason: "n must be >= 0, got \(n)") }
        var values = (0..<Int64(n)).map { $0 }
        for i in stride(from: n - 1, to: 0, by: -1) {
            values.swapAt(i, Int(generator.nextInt(below: UInt64(i + 1))))
        }
        return Tensor(values)
    }

    private static func floatingType(_ dtype: DType, op: String) throws -> DType {
        guard dtype.isFloatingPoint else {
            throw TensorError.unsupportedDType(op: op, dtype: dtype, reason: "samples are floating point")
        }
        return dtype
    }
}
