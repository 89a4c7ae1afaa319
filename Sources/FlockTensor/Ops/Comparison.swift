/// A comparison between two numeric values.
protocol ComparisonOperator {
    static func apply<T: NumericElement>(_ a: T, _ b: T) -> Bool
}

enum EqualOperator: ComparisonOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> Bool { a == b }
}
enum NotEqualOperator: ComparisonOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> Bool { a != b }
}
enum LessOperator: ComparisonOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> Bool { a < b }
}
enum LessEqualOperator: ComparisonOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> Bool { a <= b }
}
enum GreaterOperator: ComparisonOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> Bool { a > b }
}
enum GreaterEqualOperator: ComparisonOperator {
    @inline(__always) static func apply<T: NumericElement>(_ a: T, _ b: T) -> Bool { a >= b }
}

struct Comparison<Operator: ComparisonOperator, T: NumericElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { Operator.apply(a, b) }
}

private struct ComparisonVisitor<Operator: ComparisonOperator>: NumericTypeVisitor {
    let a: Tensor
    let b: Tensor
    let op: String
    func visit<T: NumericElement>(_: T.Type) throws -> Tensor {
        try mapBinary(Comparison<Operator, T>.self, a, b, op: op)
    }
}

/// Logical and / or / xor of two bool elements.
struct LogicalAnd: BinaryKernel {
    @inline(__always) static func apply(_ a: Bool, _ b: Bool) -> Bool { a && b }
}
struct LogicalOr: BinaryKernel {
    @inline(__always) static func apply(_ a: Bool, _ b: Bool) -> Bool { a || b }
}
struct LogicalNot: UnaryKernel {
    @inline(__always) static func apply(_ x: Bool) -> Bool { !x }
}

extension Tensor {
    private static func compare<Operator: ComparisonOperator>(
        _: Operator.Type, _ a: Tensor, _ b: Tensor, op: String
    ) throws -> Tensor {
        let dtype = DType.promoted(a.dtype, b.dtype)
        return try dtype.visitNumeric(
            ComparisonVisitor<Operator>(a: a.casted(to: dtype), b: b.casted(to: dtype), op: op), op: op)
    }

    /// Elementwise `==` with broadcasting, as a bool tensor.
    public static func .== (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try compare(EqualOperator.self, lhs, rhs, op: "equal")
    }
    /// Elementwise `!=` with broadcasting, as a bool tensor.
    public static func .!= (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try compare(NotEqualOperator.self, lhs, rhs, op: "notEqual")
    }
    /// Elementwise `<` with broadcasting, as a bool tensor.
    public static func .< (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try compare(LessOperator.self, lhs, rhs, op: "less")
    }
    /// Elementwise `<=` with broadcasting, as a bool tensor.
    public static func .<= (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try compare(LessEqualOperator.self, lhs, rhs, op: "lessEqual")
    }
    /// Elementwise `>` with broadcasting, as a bool tensor.
    public static func .> (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try compare(GreaterOperator.self, lhs, rhs, op: "greater")
    }
    /// Elementwise `>=` with broadcasting, as a bool tensor.
    public static func .>= (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try compare(GreaterEqualOperator.self, lhs, rhs, op: "greaterEqual")
    }
    /// Compares every element with a scalar.
    public static func .== (lhs: Tensor, rhs: Double) -> Tensor { lhs.compareScalar(EqualOperator.self, rhs) }
    /// Compares every element with a scalar.
    public static func .< (lhs: Tensor, rhs: Double) -> Tensor { lhs.compareScalar(LessOperator.self, rhs) }
    /// Compares every element with a scalar.
    public static func .<= (lhs: Tensor, rhs: Double) -> Tensor { lhs.compareScalar(LessEqualOperator.self, rhs) }
    /// Compares every element with a scalar.
    public static func .> (lhs: Tensor, rhs: Double) -> Tensor { lhs.compareScalar(GreaterOperator.self, rhs) }
    /// Compares every element with a scalar.
    public static func .>= (lhs: Tensor, rhs: Double) -> Tensor { lhs.compareScalar(GreaterEqualOperator.self, rhs) }

    private func compareScalar<Operator: ComparisonOperator>(_: Operator.Type, _ value: Double) -> Tensor {
        let source = numeric
        // Invariant: a 0-d numeric operand broadcasts against any shape.
        return try! Tensor.compare(Operator.self, source, source.scalarOperand(value), op: "compare")
    }

    /// Elementwise logical and of two bool tensors, with broadcasting.
    public static func .& (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try mapBinary(LogicalAnd.self, lhs.requiringBool("and"), rhs.requiringBool("and"), op: "and")
    }
    /// Elementwise logical or of two bool tensors, with broadcasting.
    public static func .| (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try mapBinary(LogicalOr.self, lhs.requiringBool("or"), rhs.requiringBool("or"), op: "or")
    }
    /// Elementwise logical not; non-bool tensors are first tested for nonzero.
    public static prefix func .! (operand: Tensor) -> Tensor {
        mapUnary(LogicalNot.self, operand.casted(to: .bool))
    }

    /// Whether any element is nonzero / true.
    public func any() -> Bool {
        // Invariant: the cast makes the dtype bool, so the access cannot fail.
        try! casted(to: .bool).withUnsafeScalars(as: Bool.self) { $0.contains(true) }
    }
    /// Whether all elements are nonzero / true (true for an empty tensor).
    public func all() -> Bool {
        // Invariant: the cast makes the dtype bool, so the access cannot fail.
        try! casted(to: .bool).withUnsafeScalars(as: Bool.self) { !$0.contains(false) }
    }

    private func requiringBool(_ op: String) throws -> Tensor {
        guard dtype == .bool else {
            throw TensorError.unsupportedDType(op: op, dtype: dtype, reason: "logical ops need bool tensors")
        }
        return self
    }
}
