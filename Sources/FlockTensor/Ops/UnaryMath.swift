import CFlockKernels
import RealModule

/// An elementwise function of floating-point values.
protocol FloatUnaryOperator {
    static func apply<T: FloatElement>(_ x: T) -> T
}

enum ExpOperator: FloatUnaryOperator {
    @inline(__always) static func apply<T: FloatElement>(_ x: T) -> T { T.exp(x) }
}
enum LogOperator: FloatUnaryOperator {
    @inline(__always) static func apply<T: FloatElement>(_ x: T) -> T { T.log(x) }
}
enum SqrtOperator: FloatUnaryOperator {
    @inline(__always) static func apply<T: FloatElement>(_ x: T) -> T { x.squareRoot() }
}
enum TanhOperator: FloatUnaryOperator {
    @inline(__always) static func apply<T: FloatElement>(_ x: T) -> T { T.tanh(x) }
}
enum ErfOperator: FloatUnaryOperator {
    @inline(__always) static func apply<T: FloatElement>(_ x: T) -> T { T.erf(x) }
}
/// 1 / (1 + e^-x), written to stay finite for large |x|.
enum SigmoidOperator: FloatUnaryOperator {
    @inline(__always) static func apply<T: FloatElement>(_ x: T) -> T {
        if x >= 0 { return 1 / (1 + T.exp(-x)) }
        let e = T.exp(x)
        return e / (1 + e)
    }
}
/// GELU with the exact Gaussian CDF: x * (1 + erf(x / sqrt 2)) / 2 (PyTorch's default).
enum GELUOperator: FloatUnaryOperator {
    @inline(__always) static func apply<T: FloatElement>(_ x: T) -> T {
        x * (1 + T.erf(x * T(0.70710678118654752440))) / 2
    }
}
/// log(1 + e^x); linear above 20 as in PyTorch, to avoid overflow.
enum SoftplusOperator: FloatUnaryOperator {
    @inline(__always) static func apply<T: FloatElement>(_ x: T) -> T {
        x > 20 ? x : T.log(onePlus: T.exp(x))
    }
}

struct FloatUnary<Operator: FloatUnaryOperator, T: FloatElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { Operator.apply(x) }
}

/// An elementwise function of numeric values that keeps the dtype.
protocol NumericUnaryOperator {
    static func apply<T: NumericElement>(_ x: T) -> T
}
enum ReLUOperator: NumericUnaryOperator {
    @inline(__always) static func apply<T: NumericElement>(_ x: T) -> T {
        x.isNaNValue || x > T.zeroValue ? x : T.zeroValue
    }
}
enum AbsOperator: NumericUnaryOperator {
    @inline(__always) static func apply<T: NumericElement>(_ x: T) -> T {
        x < T.zeroValue ? T.subtract(T.zeroValue, x) : x
    }
}

struct NumericUnary<Operator: NumericUnaryOperator, T: NumericElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { Operator.apply(x) }
}

private struct NumericUnaryVisitor<Operator: NumericUnaryOperator>: NumericTypeVisitor {
    let x: Tensor
    func visit<T: NumericElement>(_: T.Type) -> Tensor { mapUnary(NumericUnary<Operator, T>.self, x) }
}

extension Tensor {
    /// Applies a float function; integer and bool tensors are converted to float32 first.
    func floatUnary<Operator: FloatUnaryOperator>(_: Operator.Type) -> Tensor {
        let x = casted(to: dtype.floatingCounterpart)
        return x.dtype == .float64
            ? mapUnary(FloatUnary<Operator, Double>.self, x)
            : mapUnary(FloatUnary<Operator, Float>.self, x)
    }

    /// Applies a dtype-preserving numeric function (bool is treated as int64).
    func numericUnary<Operator: NumericUnaryOperator>(_: Operator.Type) -> Tensor {
        let x = numeric
        // Invariant: x is numeric, so visitNumeric cannot throw.
        return try! x.dtype.visitNumeric(NumericUnaryVisitor<Operator>(x: x), op: "unary")
    }

    /// e^x elementwise (float32 uses a vectorised kernel, max error ~2 ulp).
    public func exp() -> Tensor {
        if dtype == .float32 && isContiguous { return vectorExpFloat32() }
        return floatUnary(ExpOperator.self)
    }
    /// Natural logarithm elementwise (NaN for negative inputs, -inf at 0).
    public func log() -> Tensor { floatUnary(LogOperator.self) }
    /// Square root elementwise.
    public func sqrt() -> Tensor { floatUnary(SqrtOperator.self) }
    /// Hyperbolic tangent elementwise.
    public func tanh() -> Tensor { floatUnary(TanhOperator.self) }
    /// The Gauss error function elementwise.
    public func erf() -> Tensor { floatUnary(ErfOperator.self) }
    /// Logistic sigmoid elementwise.
    public func sigmoid() -> Tensor { floatUnary(SigmoidOperator.self) }
    /// GELU (exact, erf-based) elementwise.
    public func gelu() -> Tensor { floatUnary(GELUOperator.self) }
    /// Softplus log(1 + e^x) elementwise.
    public func softplus() -> Tensor { floatUnary(SoftplusOperator.self) }
    /// max(x, 0) elementwise; keeps the dtype (NaN propagates).
    public func relu() -> Tensor { numericUnary(ReLUOperator.self) }
    /// |x| elementwise; keeps the dtype.
    public func abs() -> Tensor { numericUnary(AbsOperator.self) }

    private func vectorExpFloat32() -> Tensor {
        let result = Tensor(uninitializedShape: shape, dtype: .float32)
        let source = elementPointer(Float.self)
        let destination = result.elementPointer(Float.self)
        withExtendedLifetime(self) {
            parallelRanges(count: count, grain: elementwiseGrain) { range in
                flock_vexp_f32(source + range.lowerBound, destination + range.lowerBound, range.count)
            }
        }
        return result
    }
}
