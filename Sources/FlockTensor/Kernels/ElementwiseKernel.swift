import RealModule

/// A floating-point element type with the elementary functions (exp, log, tanh, ...).
public protocol FloatElement: NumericElement, Real, BinaryFloatingPoint {}
extension Float: FloatElement {}
extension Double: FloatElement {}

/// A per-element function of one input, as a type so that the loops that apply it are
/// specialised and inlined at compile time (no per-element dynamic dispatch).
protocol UnaryKernel {
    associatedtype Input: TensorElement
    associatedtype Output: TensorElement
    static func apply(_ x: Input) -> Output
}

/// A per-element function of two inputs (see `UnaryKernel`).
protocol BinaryKernel {
    associatedtype Lhs: TensorElement
    associatedtype Rhs: TensorElement
    associatedtype Output: TensorElement
    static func apply(_ a: Lhs, _ b: Rhs) -> Output
}

/// Applies `K` to every element of `x` into a new contiguous tensor.
func mapUnary<K: UnaryKernel>(_: K.Type, _ x: Tensor) -> Tensor {
    let result = Tensor(uninitializedShape: x.shape, dtype: K.Output.dtype)
    let source = x.elementPointer(K.Input.self)
    let destination = result.elementPointer(K.Output.self)
    let plan = LoopPlan(shape: x.shape, strides: [result.strides, x.strides])
    let sourceStride = plan.innerStride(1)
    withExtendedLifetime(x) {
        plan.parallelRuns { offsets, length in
            let out = destination + offsets[0]
            let input = source + offsets[1]
            if sourceStride == 1 {
                for i in 0..<length { out[i] = K.apply(input[i]) }
            } else {
                for i in 0..<length { out[i] = K.apply(input[i * sourceStride]) }
            }
        }
    }
    return result
}

/// Applies `K` to broadcast pairs of elements of `a` and `b` into a new tensor.
/// - Throws: `TensorError.shapeMismatch` when the shapes do not broadcast.
func mapBinary<K: BinaryKernel>(_: K.Type, _ a: Tensor, _ b: Tensor, op: String) throws -> Tensor {
    let shape = try broadcastShapes(a.shape, b.shape, op: op)
    let result = Tensor(uninitializedShape: shape, dtype: K.Output.dtype)
    let lhs = a.elementPointer(K.Lhs.self)
    let rhs = b.elementPointer(K.Rhs.self)
    let destination = result.elementPointer(K.Output.self)
    let plan = LoopPlan(
        shape: shape,
        strides: [result.strides, a.broadcastStrides(to: shape), b.broadcastStrides(to: shape)])
    let lhsStride = plan.innerStride(1)
    let rhsStride = plan.innerStride(2)
    withExtendedLifetime((a, b)) {
        plan.parallelRuns { offsets, length in
            let out = destination + offsets[0]
            let x = lhs + offsets[1]
            let y = rhs + offsets[2]
            switch (lhsStride, rhsStride) {
            case (1, 1):
                for i in 0..<length { out[i] = K.apply(x[i], y[i]) }
            case (1, 0):
                let scalar = y[0]
                for i in 0..<length { out[i] = K.apply(x[i], scalar) }
            case (0, 1):
                let scalar = x[0]
                for i in 0..<length { out[i] = K.apply(scalar, y[i]) }
            default:
                for i in 0..<length { out[i] = K.apply(x[i * lhsStride], y[i * rhsStride]) }
            }
        }
    }
    return result
}

/// Writes `K.apply` of `x` into the elements `result` views (shapes must be equal).
/// Writes through the storage even when it is shared: callers own it (a fresh output, or a
/// tensor made unique first).
func mapUnary<K: UnaryKernel>(_: K.Type, _ x: Tensor, into result: Tensor) {
    let source = x.elementPointer(K.Input.self)
    let destination = result.elementPointer(K.Output.self)
    let plan = LoopPlan(shape: x.shape, strides: [result.strides, x.strides])
    let (outStride, inStride) = (plan.innerStride(0), plan.innerStride(1))
    withExtendedLifetime(x) {
        plan.parallelRuns { offsets, length in
            let out = destination + offsets[0]
            let input = source + offsets[1]
            if outStride == 1 && inStride == 1 {
                for i in 0..<length { out[i] = K.apply(input[i]) }
            } else {
                for i in 0..<length { out[i * outStride] = K.apply(input[i * inStride]) }
            }
        }
    }
}

/// Calls `body` with the Swift element type of a numeric dtype (bool is rejected).
protocol NumericTypeVisitor {
    associatedtype Result
    func visit<T: NumericElement>(_: T.Type) throws -> Result
}

extension DType {
    /// Runs a numeric visitor with this dtype's Swift type.
    func visitNumeric<V: NumericTypeVisitor>(_ visitor: V, op: String) throws -> V.Result {
        switch self {
        case .float32: return try visitor.visit(Float.self)
        case .float64: return try visitor.visit(Double.self)
        case .int32: return try visitor.visit(Int32.self)
        case .int64: return try visitor.visit(Int64.self)
        case .bool:
            throw TensorError.unsupportedDType(op: op, dtype: .bool, reason: "a numeric tensor is needed")
        }
    }
}
