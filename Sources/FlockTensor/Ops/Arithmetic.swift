/// A binary arithmetic function defined for every numeric element type.
protocol NumericBinaryOperator {
    static func apply<T: NumericElement>(_ a: T, _ b: T) -> T
}

enum AddOperator: NumericBinaryOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> T { T.add(a, b) }
}
enum SubtractOperator: NumericBinaryOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> T { T.subtract(a, b) }
}
enum MultiplyOperator: NumericBinaryOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> T { T.multiply(a, b) }
}
enum DivideOperator: NumericBinaryOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> T { T.divide(a, b) }
}
/// Larger of two values; NaN wins (as in PyTorch's maximum).
enum MaximumOperator: NumericBinaryOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> T {
        a.isNaNValue || a > b ? a : b
    }
}
/// Smaller of two values; NaN wins.
enum MinimumOperator: NumericBinaryOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> T {
        a.isNaNValue || a < b ? a : b
    }
}

struct NumericBinary<Operator: NumericBinaryOperator, T: NumericElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { Operator.apply(a, b) }
}

private struct NumericBinaryVisitor<Operator: NumericBinaryOperator>: NumericTypeVisitor {
    let a: Tensor
    let b: Tensor
    let op: String
    func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
        try mapBinary(NumericBinary<Operator, T>.self, a, b, op: op)
    }
}

/// Applies a numeric operator after promoting both operands to a common dtype.
func numericBinary<Operator: NumericBinaryOperator>(
    _: Operator.Type, _ a: Tensor, _ b: Tensor, op: String
) throws -> Tensor {
    let dtype = DType.promoted(a.dtype, b.dtype)
    let (x, y) = (a.casted(to: dtype), b.casted(to: dtype))
    if Operator.self == DivideOperator.self, dtype.isInteger, try y.containsZero() {
        throw TensorError.invalidArgument(op: op, reason: "integer division by zero")
    }
    return try dtype.visitNumeric(NumericBinaryVisitor<Operator>(a: x, b: y, op: op), op: op)
}

extension Tensor {
    /// Elementwise sum with broadcasting (integers wrap on overflow).
    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try numericBinary(AddOperator.self, lhs, rhs, op: "add")
    }
    /// Elementwise difference with broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try numericBinary(SubtractOperator.self, lhs, rhs, op: "subtract")
    }
    /// Elementwise product with broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try numericBinary(MultiplyOperator.self, lhs, rhs, op: "multiply")
    }
    /// Elementwise quotient with broadcasting; integer tensors divide truncating toward
    /// zero (C semantics) and throw on a zero divisor.
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try numericBinary(DivideOperator.self, lhs, rhs, op: "divide")
    }
    /// Elementwise maximum with broadcasting (NaN propagates).
    public func maximum(_ other: Tensor) throws -> Tensor {
        try numericBinary(MaximumOperator.self, self, other, op: "maximum")
    }
    /// Elementwise minimum with broadcasting (NaN propagates).
    public func minimum(_ other: Tensor) throws -> Tensor {
        try numericBinary(MinimumOperator.self, self, other, op: "minimum")
    }

    /// A 0-d tensor holding `value` in the dtype an op with this tensor should use:
    /// this tensor's dtype, or float32 when this tensor is integral and `value` is not.
    func scalarOperand(_ value: Double) -> Tensor {
        let dtype: DType =
            if self.dtype.isFloatingPoint || value.rounded(.towardZero) == value && value.isFinite {
                self.dtype == .bool ? .int64 : self.dtype
            } else {
                .float32
            }
        return Tensor(scalar: value).casted(to: dtype)
    }

    // Scalar operands broadcast, so these cannot fail (integer division by zero aside,
    // which `/` reports by throwing).
    /// Adds a scalar to every element.
    public static func + (lhs: Tensor, rhs: Double) -> Tensor { scalarOp(AddOperator.self, lhs, rhs) }
    /// Subtracts a scalar from every element.
    public static func - (lhs: Tensor, rhs: Double) -> Tensor { scalarOp(SubtractOperator.self, lhs, rhs) }
    /// Multiplies every element by a scalar.
    public static func * (lhs: Tensor, rhs: Double) -> Tensor { scalarOp(MultiplyOperator.self, lhs, rhs) }
    /// Adds every element to a scalar.
    public static func + (lhs: Double, rhs: Tensor) -> Tensor { rhs + lhs }
    /// Multiplies a scalar by every element.
    public static func * (lhs: Double, rhs: Tensor) -> Tensor { rhs * lhs }
    /// Subtracts every element from a scalar.
    public static func - (lhs: Double, rhs: Tensor) -> Tensor {
        scalarOp(SubtractOperator.self, rhs, lhs, scalarFirst: true)
    }
    /// Divides every element by a scalar.
    public static func / (lhs: Tensor, rhs: Double) throws -> Tensor {
        try numericBinary(DivideOperator.self, lhs, lhs.scalarOperand(rhs), op: "divide")
    }
    /// The elementwise negation.
    public static prefix func - (operand: Tensor) -> Tensor { 0 - operand }

    /// `tensor op value` (or `value op tensor` with `scalarFirst`), the scalar in the dtype
    /// `scalarOperand` picks.
    private static func scalarOp<Operator: NumericBinaryOperator>(
        _: Operator.Type, _ tensor: Tensor, _ value: Double, scalarFirst: Bool = false
    ) -> Tensor {
        let (source, scalar) = (tensor.numeric, tensor.scalarOperand(value))
        // Invariant: a 0-d numeric operand broadcasts against any shape and never divides.
        return try! numericBinary(
            Operator.self, scalarFirst ? scalar : source, scalarFirst ? source : scalar, op: "scalar op")
    }

    /// Whether any element equals zero (used to refuse integer division by zero).
    func containsZero() throws -> Bool {
        try (self .== Tensor(scalar: 0.0).casted(to: dtype)).any()
    }
}
