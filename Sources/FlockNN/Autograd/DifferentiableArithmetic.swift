import FlockTensor

/// Sums a broadcast gradient back to the shape of the operand that was broadcast.
func reduceToShape(_ gradient: Tensor, _ shape: [Int]) throws -> Tensor {
    if gradient.shape == shape { return gradient }
    let extra = gradient.rank - shape.count
    var axes = Array(0..<extra)
    for (axis, size) in shape.enumerated() where size == 1 && gradient.shape[axis + extra] != 1 {
        axes.append(axis + extra)
    }
    return try gradient.sum(axes: axes, keepDims: true).reshaped(shape)
}

extension Variable {
    /// Elementwise sum with broadcasting.
    public static func + (lhs: Variable, rhs: Variable) throws -> Variable {
        let (a, b) = (lhs.shape, rhs.shape)
        return record("add", try lhs.value + rhs.value, inputs: [lhs, rhs]) { g in
            [try reduceToShape(g, a), try reduceToShape(g, b)]
        }
    }

    /// Elementwise difference with broadcasting.
    public static func - (lhs: Variable, rhs: Variable) throws -> Variable {
        let (a, b) = (lhs.shape, rhs.shape)
        return record("subtract", try lhs.value - rhs.value, inputs: [lhs, rhs]) { g in
            [try reduceToShape(g, a), try reduceToShape(-g, b)]
        }
    }

    /// Elementwise product with broadcasting.
    public static func * (lhs: Variable, rhs: Variable) throws -> Variable {
        let (x, y) = (lhs.value, rhs.value)
        return record("multiply", try x * y, inputs: [lhs, rhs]) { g in
            [
                lhs.requiresGrad ? try reduceToShape(g * y, x.shape) : nil,
                rhs.requiresGrad ? try reduceToShape(g * x, y.shape) : nil,
            ]
        }
    }

    /// Elementwise quotient with broadcasting.
    public static func / (lhs: Variable, rhs: Variable) throws -> Variable {
        let (x, y) = (lhs.value, rhs.value)
        let quotient = try x / y
        return record("divide", quotient, inputs: [lhs, rhs]) { g in
            [
                lhs.requiresGrad ? try reduceToShape(g / y, x.shape) : nil,
                rhs.requiresGrad ? try reduceToShape(-(try g * quotient / y), y.shape) : nil,
            ]
        }
    }

    /// Adds a scalar.
    public static func + (lhs: Variable, rhs: Double) -> Variable {
        record("addScalar", lhs.value + rhs, inputs: [lhs]) { g in [g] }
    }

    /// Subtracts a scalar.
    public static func - (lhs: Variable, rhs: Double) -> Variable { lhs + (-rhs) }

    /// Multiplies by a scalar.
    public static func * (lhs: Variable, rhs: Double) -> Variable {
        record("multiplyScalar", lhs.value * rhs, inputs: [lhs]) { g in [g * rhs] }
    }

    /// Multiplies a scalar by a variable.
    public static func * (lhs: Double, rhs: Variable) -> Variable { rhs * lhs }

    /// Divides by a scalar.
    public static func / (lhs: Variable, rhs: Double) -> Variable { lhs * (1 / rhs) }

    /// Negation.
    public static prefix func - (operand: Variable) -> Variable { operand * -1 }

    /// Matrix product (see `Tensor.matmul`): gradients are g·Bᵀ and Aᵀ·g, summed over
    /// broadcast batch dimensions.
    public func matmul(_ other: Variable) throws -> Variable {
        let (a, b) = (value, other.value)
        guard a.rank >= 2, b.rank >= 2 else {
            throw TensorError.shapeMismatch(
                op: "Variable.matmul", lhs: a.shape, rhs: b.shape,
                reason: "differentiable matmul needs operands of rank >= 2")
        }
        return Variable.record("matmul", try a.matmul(b), inputs: [self, other]) { g in
            [
                self.requiresGrad ? try reduceToShape(g.matmul(b.T), a.shape) : nil,
                other.requiresGrad ? try reduceToShape(a.T.matmul(g), b.shape) : nil,
            ]
        }
    }
}
