import RealModule

/// x^y elementwise for floating-point values.
struct PowKernel<T: FloatElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { T.pow(a, b) }
}

/// Selects elements of `a` or `b` by a bool condition, with broadcasting of all three.
private struct WhereVisitor: ElementTypeVisitor {
    let condition: Tensor
    let a: Tensor
    let b: Tensor
    let shape: [Int]

    func visit<T: TensorElement>(_: T.Type) -> Tensor {
        let result = Tensor(uninitializedShape: shape, dtype: T.dtype)
        let plan = LoopPlan(
            shape: shape,
            strides: [
                result.strides, condition.broadcastStrides(to: shape),
                a.broadcastStrides(to: shape), b.broadcastStrides(to: shape),
            ])
        let out = result.elementPointer(T.self)
        let mask = condition.elementPointer(Bool.self)
        let x = a.elementPointer(T.self)
        let y = b.elementPointer(T.self)
        let (sm, sx, sy) = (plan.innerStride(1), plan.innerStride(2), plan.innerStride(3))
        withExtendedLifetime((condition, a, b)) {
            plan.parallelRuns { offsets, length in
                let (o, m, p, q) = (out + offsets[0], mask + offsets[1], x + offsets[2], y + offsets[3])
                for i in 0..<length {
                    // Both values are loaded first so the compiler may use a select instead of
                    // a branch, which mispredicts on random masks.
                    let (a, b) = (p[i * sx], q[i * sy])
                    o[i] = m[i * sm] ? a : b
                }
            }
        }
        return result
    }
}

extension Tensor {
    /// Elementwise power with broadcasting, in floating point (integers become float32).
    public func pow(_ exponent: Tensor) throws -> Tensor {
        let dtype = DType.promoted(self.dtype, exponent.dtype).floatingCounterpart
        let (x, y) = (casted(to: dtype), exponent.casted(to: dtype))
        return dtype == .float64
            ? try mapBinary(PowKernel<Double>.self, x, y, op: "pow")
            : try mapBinary(PowKernel<Float>.self, x, y, op: "pow")
    }

    /// Every element raised to a scalar power.
    public func pow(_ exponent: Double) -> Tensor {
        let base = casted(to: dtype.floatingCounterpart)
        // Invariant: a 0-d exponent broadcasts against any shape.
        return try! base.pow(Tensor(scalar: exponent).casted(to: base.dtype))
    }

    /// Elements limited to `[lower, upper]` (either bound may be nil); keeps the dtype
    /// unless a bound needs a float. NaN stays NaN.
    /// - Throws: when `lower > upper`.
    public func clamped(min lower: Double? = nil, max upper: Double? = nil) throws -> Tensor {
        if let lower, let upper, lower > upper {
            throw TensorError.invalidArgument(op: "clamp", reason: "min \(lower) is greater than max \(upper)")
        }
        var result = numeric
        if let lower { result = try result.maximum(result.scalarOperand(lower)) }
        if let upper { result = try result.minimum(result.scalarOperand(upper)) }
        return result
    }

    /// Picks `a` where `condition` is true and `b` elsewhere, broadcasting all three;
    /// `a` and `b` are promoted to a common dtype.
    /// - Throws: on shapes that do not broadcast or a non-bool condition.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard condition.dtype == .bool else {
            throw TensorError.unsupportedDType(
                op: "where", dtype: condition.dtype, reason: "the condition must be bool")
        }
        let values = try broadcastShapes(a.shape, b.shape, op: "where")
        let shape = try broadcastShapes(condition.shape, values, op: "where")
        let dtype = a.dtype == b.dtype ? a.dtype : DType.promoted(a.dtype, b.dtype)
        return dtype.visitElement(
            WhereVisitor(condition: condition, a: a.casted(to: dtype), b: b.casted(to: dtype), shape: shape))
    }
}
