/// Calls a generic function with the Swift element type of any dtype.
protocol ElementTypeVisitor {
    associatedtype Result
    func visit<T: TensorElement>(_: T.Type) -> Result
}

extension DType {
    /// Runs a visitor with this dtype's Swift type.
    func visitElement<V: ElementTypeVisitor>(_ visitor: V) -> V.Result {
        switch self {
        case .float32: visitor.visit(Float.self)
        case .float64: visitor.visit(Double.self)
        case .int32: visitor.visit(Int32.self)
        case .int64: visitor.visit(Int64.self)
        case .bool: visitor.visit(Bool.self)
        }
    }
}

/// Converts one element between element types: integer to integer saturates exactly,
/// floats truncate toward zero into integers (NaN becomes 0), nonzero is true.
struct Convert<Input: TensorElement, Output: TensorElement>: UnaryKernel {
    @inline(__always)
    static func apply(_ x: Input) -> Output {
        if Input.self == Output.self { return unsafeBitCast(x, to: Output.self) }
        if !Input.dtype.isFloatingPoint && !Output.dtype.isFloatingPoint {
            return Output(convertingInteger: x.int64Value)
        }
        return Output(converting: x.doubleValue)
    }
}

/// Copies (and converts) the elements of `source` into `destination`, view to view.
private struct AssignVisitor: ElementTypeVisitor {
    let source: Tensor
    let destinationType: DType

    struct Inner<Input: TensorElement>: ElementTypeVisitor {
        let source: Tensor
        let destination: Tensor
        func visit<Output: TensorElement>(_: Output.Type) {
            mapUnary(Convert<Input, Output>.self, source, into: destination)
        }
    }

    let destination: Tensor
    func visit<Input: TensorElement>(_: Input.Type) {
        destinationType.visitElement(Inner<Input>(source: source, destination: destination))
    }
}

extension Tensor {
    /// This tensor as a numeric one: bool becomes int64 (how arithmetic treats bools, see
    /// `DType.promoted`); other dtypes are returned as they are.
    var numeric: Tensor { dtype == .bool ? casted(to: .int64) : self }

    /// This tensor converted to `dtype` (itself when it already has that dtype).
    /// Floats convert to integers by truncation toward zero with saturation; NaN becomes 0.
    public func casted(to dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        var result = Tensor(uninitializedShape: shape, dtype: dtype)
        result.assignElements(from: self)
        return result
    }

    /// Overwrites this tensor's elements with `source`'s (same shape), converting dtypes.
    /// The storage is copied first if shared.
    mutating func assignElements(from source: Tensor) {
        makeStorageUnique()
        Tensor.writeElements(of: source, into: self)
    }

    /// Writes `source`'s elements (converted) into the elements `destination` views, which
    /// must have the same shape. The caller owns the destination's storage (a fresh output
    /// being filled region by region), so no copy-on-write check is made.
    static func writeElements(of source: Tensor, into destination: Tensor) {
        source.dtype.visitElement(
            AssignVisitor(source: source, destinationType: destination.dtype, destination: destination))
    }
}
