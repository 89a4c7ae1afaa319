/// Boolean kernels with SQL's three-valued logic: `false AND null` is false, `true OR
/// null` is true, and otherwise a null operand gives null.
enum Logic {
    /// `lhs AND rhs` or `lhs OR rhs` on bool columns.
    static func apply(_ op: BinaryOperator, _ lhs: Column, _ rhs: Column) -> Column {
        let count = lhs.count
        let isAnd = op == .and
        // The result is known (decided) where an operand holds the deciding value.
        func decides(_ column: Column, _ i: Int) -> Bool { !column.isNull(i) && column.boolValue(i) != isAnd }
        var validity: Bitmap?
        if lhs.validity != nil || rhs.validity != nil {
            validity = Bitmap.packing(count: count) { i in
                (!lhs.isNull(i) && !rhs.isNull(i)) || decides(lhs, i) || decides(rhs, i)
            }
        }
        return Column.bools(count: count, validity: validity) { i in
            isAnd
                ? (lhs.isNull(i) || lhs.boolValue(i)) && (rhs.isNull(i) || rhs.boolValue(i))
                : decides(lhs, i) || decides(rhs, i) || (lhs.boolValue(i) || rhs.boolValue(i))
        }
    }

    /// `NOT operand`.
    static func not(_ operand: Column) -> Column {
        Column.bools(count: operand.count, validity: operand.validity) { !operand.boolValue($0) }
    }

    /// True where `operand` is null (`isNull`) or present (not `isNull`); never null.
    static func nullTest(_ operand: Column, isNull: Bool) -> Column {
        Column.bools(count: operand.count, validity: nil) { operand.isNull($0) == isNull }
    }
}
