import FlockTensor

/// How all-reduce, reduce and reduce-scatter combine the ranks' values.
public enum ReduceOp: UInt8, Sendable, CaseIterable {
    case sum = 1
    case mean, min, max, product

    /// The element-wise combination the algorithms apply (mean sums, then divides).
    var combining: ReduceOp { self == .mean ? .sum : self }
}

/// The element types a collective moves: the numeric tensor dtypes, or raw bytes (which
/// can be moved but not reduced).
enum WireType: UInt8 {
    case float32 = 1
    case float64, int32, int64, bytes

    init(_ dtype: DType, op: String) throws {
        switch dtype {
        case .float32: self = .float32
        case .float64: self = .float64
        case .int32: self = .int32
        case .int64: self = .int64
        case .bool:
            throw CommError.invalidArgument(op: op, reason: "bool tensors are not sent; cast to int32 first")
        }
    }

    var byteSize: Int {
        switch self {
        case .float32, .int32: 4
        case .float64, .int64: 8
        case .bytes: 1
        }
    }

    var name: String { "\(self)" }
}

/// dst[i] = dst[i] (op) src[i] for `count` elements of `type`. The order of operands is
/// fixed by the algorithms, so results are the same on every run.
func combine(
    _ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, count: Int, type: WireType, op: ReduceOp
) {
    combine(into: dst, UnsafeRawPointer(dst), src, count: count, type: type, op: op)
}

/// dst[i] = a[i] (op) b[i] for `count` elements of `type`; `dst` may be `a`.
func combine(
    into dst: UnsafeMutableRawPointer, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int, type: WireType,
    op: ReduceOp
) {
    switch type {
    case .float32: combine(dst, a, b, count, Float.self, op)
    case .float64: combine(dst, a, b, count, Double.self, op)
    case .int32: combineIntegers(dst, a, b, count, Int32.self, op)
    case .int64: combineIntegers(dst, a, b, count, Int64.self, op)
    case .bytes: break  // Invariant: ProcessGroup never reduces raw bytes.
    }
}

private func combine<T: BinaryFloatingPoint>(
    _ dst: UnsafeMutableRawPointer, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int, _: T.Type,
    _ op: ReduceOp
) {
    let d = dst.assumingMemoryBound(to: T.self)
    let (x, y) = (a.assumingMemoryBound(to: T.self), b.assumingMemoryBound(to: T.self))
    switch op.combining {
    case .sum, .mean: for i in 0..<count { d[i] = x[i] + y[i] }
    case .product: for i in 0..<count { d[i] = x[i] * y[i] }
    // NaN propagates, as in PyTorch's reductions.
    case .min: for i in 0..<count { d[i] = (y[i] < x[i] || y[i].isNaN) ? y[i] : x[i] }
    case .max: for i in 0..<count { d[i] = (y[i] > x[i] || y[i].isNaN) ? y[i] : x[i] }
    }
}

private func combineIntegers<T: FixedWidthInteger>(
    _ dst: UnsafeMutableRawPointer, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int, _: T.Type,
    _ op: ReduceOp
) {
    let d = dst.assumingMemoryBound(to: T.self)
    let (x, y) = (a.assumingMemoryBound(to: T.self), b.assumingMemoryBound(to: T.self))
    switch op.combining {
    // Integers wrap on overflow, like FlockTensor's integer arithmetic.
    case .sum, .mean: for i in 0..<count { d[i] = x[i] &+ y[i] }
    case .product: for i in 0..<count { d[i] = x[i] &* y[i] }
    case .min: for i in 0..<count { d[i] = Swift.min(x[i], y[i]) }
    case .max: for i in 0..<count { d[i] = Swift.max(x[i], y[i]) }
    }
}

/// dst[i] /= n for `count` floating-point elements (the mean after a sum; division, not a
/// multiplication by 1/n, so the bits equal a tensor divided afterwards).
func divide(_ dst: UnsafeMutableRawPointer, count: Int, type: WireType, by n: Int) {
    switch type {
    case .float32:
        let d = dst.assumingMemoryBound(to: Float.self)
        for i in 0..<count { d[i] /= Float(n) }
    case .float64:
        let d = dst.assumingMemoryBound(to: Double.self)
        for i in 0..<count { d[i] /= Double(n) }
    case .int32, .int64, .bytes: break  // Invariant: mean is refused for integer tensors.
    }
}
