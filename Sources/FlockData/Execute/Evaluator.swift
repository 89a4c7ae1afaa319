/// Evaluates a checked row expression (no aggregates or windows: the planner has replaced
/// those by the columns that hold their results) over one batch, a whole column at a time.
enum Evaluator {
    /// The column `expr` makes over `batch`.
    /// - Throws: `DataError.unknownColumn` for a column the batch lacks, or
    ///   `DataError.invalidPlan` for an aggregate or window left in the expression.
    static func evaluate(_ expr: Expr, _ batch: RecordBatch) throws -> Column {
        switch expr {
        case .column(let name): return try batch.column(name)
        case .literal(let value, let type): return constant(value, type, count: batch.rowCount)
        case .alias(let operand, _): return try evaluate(operand, batch)
        case .cast(let operand, let type): return Cast.apply(try evaluate(operand, batch), to: type)
        case .unary(let op, let operand):
            let column = try evaluate(operand, batch)
            switch op {
            case .not: return Logic.not(column)
            case .negate: return Arithmetic.negate(column)
            case .isNull: return Logic.nullTest(column, isNull: true)
            case .isNotNull: return Logic.nullTest(column, isNull: false)
            }
        case .binary(let op, let lhs, let rhs):
            if op.isComparison, case .literal(.string(let text)?, _) = rhs {
                let column = try evaluate(lhs, batch)
                if column.type == .categorical { return Comparison.apply(op, categorical: column, constant: text) }
                return Comparison.apply(op, column, constant(.string(text), .utf8, count: batch.rowCount))
            }
            let (left, right) = (try evaluate(lhs, batch), try evaluate(rhs, batch))
            if op.isArithmetic { return Arithmetic.apply(op, left, right) }
            if op.isComparison { return Comparison.apply(op, left, right) }
            return Logic.apply(op, left, right)
        case .aggregate, .window:
            throw DataError.invalidPlan("\(expr) can only be computed by an aggregation or window step")
        }
    }

    /// `value` (nil: null) repeated `count` times as a `type` column.
    static func constant(_ value: Value?, _ type: DataType, count: Int) -> Column {
        let validity = value == nil ? Bitmap(count: count, value: false) : nil
        switch value {
        case .int(let number)?:
            return Cast.apply(
                Column.fixed(Int64.self, count: count, validity: nil) { $0.initialize(repeating: number) }, to: type)
        case .double(let number)?:
            return Column.fixed(Double.self, count: count, validity: nil) { $0.initialize(repeating: number) }
        case .bool(let flag)?: return Column.bools(count: count, validity: nil) { _ in flag }
        case .string(let text)?:
            return type == .categorical
                ? Column(codes: [Int32?](repeating: 0, count: count), categories: Categories([text]))
                : Column([String?](repeating: text, count: count))
        case .date(let days)?:
            return Column.fixed(Int32.self, type: .date32, count: count, validity: nil) {
                $0.initialize(repeating: days)
            }
        case .timestamp(let micros)?:
            return Column.fixed(Int64.self, type: .timestampMicroseconds, count: count, validity: nil) {
                $0.initialize(repeating: micros)
            }
        case nil:
            switch type {
            case .utf8: return Column([String?](repeating: nil, count: count))
            case .bool: return Column.bools(count: count, validity: validity) { _ in false }
            case .categorical: return Column(codes: [Int32?](repeating: nil, count: count), categories: Categories([]))
            default:
                return Cast.apply(
                    Column.fixed(Int64.self, count: count, validity: validity) { $0.initialize(repeating: 0) },
                    to: type)
            }
        }
    }
}
