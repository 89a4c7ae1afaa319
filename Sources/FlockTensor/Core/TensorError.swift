/// Why a tensor operation refused its input. Every description names the operation and
/// the shapes, axes or values involved, so the message alone says what to fix.
///
/// Policy: operations whose validity depends on their inputs' shapes, axes, indices or
/// dtypes throw (`try a + b`); operations that cannot fail (`exp`, `relu`, `transposed()`
/// of a matrix...) do not. Flock never traps on bad user input.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// Two shapes cannot be combined by the operation (broadcasting, matmul, concat...).
    case shapeMismatch(op: String, lhs: [Int], rhs: [Int], reason: String)
    /// A shape argument is invalid on its own (negative size, wrong element count...).
    case invalidShape(op: String, shape: [Int], reason: String)
    /// An axis is out of range for a tensor of the given rank.
    case invalidAxis(op: String, axis: Int, rank: Int)
    /// An index is out of range for a dimension of the given size.
    case indexOutOfRange(op: String, index: Int, size: Int)
    /// The operation does not support this dtype.
    case unsupportedDType(op: String, dtype: DType, reason: String)
    /// Any other invalid argument.
    case invalidArgument(op: String, reason: String)

    public var description: String {
        switch self {
        case .shapeMismatch(let op, let lhs, let rhs, let reason):
            "\(op): shapes \(lhs) and \(rhs) are incompatible: \(reason)"
        case .invalidShape(let op, let shape, let reason):
            "\(op): invalid shape \(shape): \(reason)"
        case .invalidAxis(let op, let axis, let rank):
            "\(op): axis \(axis) is out of range for a tensor of rank \(rank) (valid: \(-max(rank, 1))..<\(max(rank, 1)))"
        case .indexOutOfRange(let op, let index, let size):
            "\(op): index \(index) is out of range for a dimension of size \(size)"
        case .unsupportedDType(let op, let dtype, let reason):
            "\(op): dtype \(dtype) is not supported: \(reason)"
        case .invalidArgument(let op, let reason):
            "\(op): \(reason)"
        }
    }
}

/// Resolves a possibly negative axis (counted from the end) against a rank.
@inline(__always)
func normalizeAxis(_ axis: Int, rank: Int, op: String) throws(TensorError) -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    guard resolved >= 0, resolved < rank else {
        throw .invalidAxis(op: op, axis: axis, rank: rank)
    }
    return resolved
}

/// Resolves a list of axes, rejecting out-of-range and repeated ones.
func normalizeAxes(_ axes: [Int], rank: Int, op: String) throws(TensorError) -> [Int] {
    var seen = Set<Int>()
    var result: [Int] = []
    for axis in axes {
        let resolved = try normalizeAxis(axis, rank: rank, op: op)
        guard seen.insert(resolved).inserted else {
            throw .invalidArgument(op: op, reason: "axis \(axis) is given more than once")
        }
        result.append(resolved)
    }
    return result.sorted()
}
