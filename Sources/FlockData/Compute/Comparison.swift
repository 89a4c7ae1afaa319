/// Comparison kernels making bool columns: numbers compared as int64 when both are
/// integers (or dates, timestamps, bools) and as float64 otherwise; text compared by its
/// UTF-8 bytes (code point order). A categorical column compared with a constant is
/// compared once per category (`apply(_:categorical:constant:)`).
enum Comparison {
    /// `lhs op rhs` value by value; a null on either side gives null.
    static func apply(_ op: BinaryOperator, _ lhs: Column, _ rhs: Column) -> Column {
        let validity = Bitmap.both(lhs.validity, rhs.validity)
        let count = lhs.count
        if lhs.type.isText || rhs.type.isText {
            if lhs.type == .categorical, rhs.type == .categorical, lhs.categories === rhs.categories,
                op == .equal || op == .notEqual
            {
                return lhs.values.withUnsafeBytes { a in
                    rhs.values.withUnsafeBytes { b in
                        let (x, y) = (a.bindMemory(to: Int32.self), b.bindMemory(to: Int32.self))
                        return Column.bools(count: count, validity: validity) { (x[$0] == y[$0]) == (op == .equal) }
                    }
                }
            }
            return Column.bools(count: count, validity: validity) { i in
                holds(op, compare(lhs.text(i), rhs.text(i)))
            }
        }
        let integers =
            lhs.type.storageType != .float32 && lhs.type.storageType != .float64
            && rhs.type.storageType != .float32 && rhs.type.storageType != .float64
        if integers {
            return lhs.withInt64s { x in
                rhs.withInt64s { y in
                    Column.bools(count: count, validity: validity) { holds(op, ordering(x[$0], y[$0])) }
                }
            }
        }
        return lhs.withDoubles { x in
            rhs.withDoubles { y in
                Column.bools(count: count, validity: validity) { i in
                    switch op {  // IEEE comparisons, so NaN equals nothing.
                    case .equal: x[i] == y[i]
                    case .notEqual: x[i] != y[i]
                    case .less: x[i] < y[i]
                    case .lessOrEqual: x[i] <= y[i]
                    case .greater: x[i] > y[i]
                    default: x[i] >= y[i]
                    }
                }
            }
        }
    }

    /// `column op constant` for a categorical column: compared once per category, then
    /// looked up per row.
    static func apply(_ op: BinaryOperator, categorical column: Column, constant: String) -> Column {
        // Invariant: categorical columns have categories.
        let table = column.categories!.values.map { holds(op, compare($0, constant)) }
        return column.values.withUnsafeBytes { raw in
            let codes = raw.bindMemory(to: Int32.self)
            return Column.bools(count: column.count, validity: column.validity) { i in
                column.isNull(i) ? false : table[Int(codes[i])]
            }
        }
    }

    /// -1, 0 or 1 as `a` is below, equal to or above `b`.
    static func ordering<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }

    /// Text order by UTF-8 bytes.
    static func compare(_ a: String, _ b: String) -> Int {
        a == b ? 0 : (a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1)
    }

    /// Whether an ordering (-1, 0, 1) satisfies `op`.
    static func holds(_ op: BinaryOperator, _ order: Int) -> Bool {
        switch op {
        case .equal: order == 0
        case .notEqual: order != 0
        case .less: order < 0
        case .lessOrEqual: order <= 0
        case .greater: order > 0
        default: order >= 0
        }
    }
}
