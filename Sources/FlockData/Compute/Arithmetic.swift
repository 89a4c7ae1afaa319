/// Arithmetic kernels: integers stay int64 (wrapping on overflow, as Arrow's unchecked
/// kernels do), anything with a float is float64, `/` always makes float64 (IEEE: x / 0 is
/// ±inf or NaN), and `%` by an integer zero is null.
enum Arithmetic {
    /// `lhs op rhs` value by value; a null on either side gives null.
    static func apply(_ op: BinaryOperator, _ lhs: Column, _ rhs: Column) -> Column {
        var validity = Bitmap.both(lhs.validity, rhs.validity)
        let count = lhs.count
        if lhs.type.isInteger && rhs.type.isInteger && op != .divide {
            return lhs.withInt64s { x in
                rhs.withInt64s { y in
                    if op == .modulo, y.contains(0) {
                        let nonzero = Bitmap.packing(count: count) { y[$0] != 0 }
                        validity = Bitmap.both(validity, nonzero)
                    }
                    return Column.fixed(Int64.self, count: count, validity: validity) { out in
                        switch op {
                        case .add: for i in 0..<count { out[i] = x[i] &+ y[i] }
                        case .subtract: for i in 0..<count { out[i] = x[i] &- y[i] }
                        case .multiply: for i in 0..<count { out[i] = x[i] &* y[i] }
                        default: for i in 0..<count { out[i] = y[i] == 0 ? 0 : x[i] % y[i] }
                        }
                    }
                }
            }
        }
        return lhs.withDoubles { x in
            rhs.withDoubles { y in
                Column.fixed(Double.self, count: count, validity: validity) { out in
                    switch op {
                    case .add: for i in 0..<count { out[i] = x[i] + y[i] }
                    case .subtract: for i in 0..<count { out[i] = x[i] - y[i] }
                    case .multiply: for i in 0..<count { out[i] = x[i] * y[i] }
                    case .divide: for i in 0..<count { out[i] = x[i] / y[i] }
                    default: for i in 0..<count { out[i] = x[i].truncatingRemainder(dividingBy: y[i]) }
                    }
                }
            }
        }
    }

    /// `-operand` value by value.
    static func negate(_ operand: Column) -> Column {
        let count = operand.count
        if operand.type.isInteger {
            return operand.withInt64s { x in
                Column.fixed(Int64.self, count: count, validity: operand.validity) { out in
                    for i in 0..<count { out[i] = 0 &- x[i] }
                }
            }
        }
        return operand.withDoubles { x in
            Column.fixed(Double.self, count: count, validity: operand.validity) { out in
                for i in 0..<count { out[i] = -x[i] }
            }
        }
    }
}
