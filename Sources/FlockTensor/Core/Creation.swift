extension Tensor {
    /// A tensor of `shape` filled with zeros.
    /// - Throws: when a size is negative.
    public static func zeros(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        try validate(shape, op: "zeros")
        let count = shape.reduce(1, *)
        return Tensor(
            storage: TensorStorage(count: count, dtype: dtype, zeroed: true),
            shape: shape, strides: contiguousStrides(for: shape), offset: 0)
    }

    /// A tensor of `shape` filled with ones.
    public static func ones(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        try full(shape, value: 1, dtype: dtype)
    }

    /// A tensor of `shape` with every element equal to `value` (converted to `dtype`).
    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) throws -> Tensor {
        try validate(shape, op: "full")
        return try Tensor(scalar: value).casted(to: dtype).expanded(to: shape).copied()
    }

    /// `start, start + step, ...` below `end` (like NumPy's arange); int64 when all three
    /// are whole numbers and no dtype is given, else float32.
    /// - Throws: when `step` is zero or points away from `end`.
    public static func arange(
        _ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType? = nil
    ) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw TensorError.invalidArgument(op: "arange", reason: "start, end and a nonzero step must be finite")
        }
        let steps = ((end - start) / step).rounded(.up)
        guard steps < Double(Int.max / 8) else {
            throw TensorError.invalidArgument(op: "arange", reason: "\(steps) elements do not fit in memory")
        }
        let count = Swift.max(0, Int(steps))
        let whole = [start, end, step].allSatisfy { $0.rounded() == $0 }
        let values = (0..<count).map { start + Double($0) * step }
        return Tensor(values).casted(to: dtype ?? (whole ? .int64 : .float32))
    }

    /// `count` evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = .float32) throws -> Tensor {
        guard count >= 0 else {
            throw TensorError.invalidArgument(op: "linspace", reason: "count must be >= 0, got \(count)")
        }
        let step = count > 1 ? (end - start) / Double(count - 1) : 0
        let values = (0..<count).map { $0 == count - 1 && count > 1 ? end : start + Double($0) * step }
        return Tensor(values).casted(to: dtype)
    }

    /// The `n x m` identity matrix (ones on the diagonal).
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) throws -> Tensor {
        let columns = m ?? n
        var result = try zeros([n, columns], dtype: .float64)
        try result.withUnsafeMutableScalars(as: Double.self) { buffer in
            for i in 0..<Swift.min(n, columns) { buffer[i * columns + i] = 1 }
        }
        return result.casted(to: dtype)
    }

    /// A tensor like this one (shape) filled with zeros.
    public func zerosLike(dtype: DType? = nil) -> Tensor {
        // Invariant: an existing shape is valid.
        try! Tensor.zeros(shape, dtype: dtype ?? self.dtype)
    }

    /// Checks that a requested shape is usable: no negative size, and an element count
    /// (and byte count) that fits in an Int, so that a bad shape throws instead of
    /// overflowing.
    static func validate(_ shape: [Int], op: String) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidShape(op: op, shape: shape, reason: "sizes must be >= 0")
        }
        var count = 8  // the widest element, so byte counts cannot overflow either
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw TensorError.invalidShape(op: op, shape: shape, reason: "the element count does not fit in memory")
            }
            count = product
        }
    }
}
