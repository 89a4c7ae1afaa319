/// Type checking: every expression's type follows from its operands' types, and a wrong
/// combination is refused when the plan is built, naming the operation, the operands and
/// their types.
extension Expr {
    /// The type of the values this expression makes over columns of `schema`.
    /// - Throws: `DataError.unknownColumn` (with the names there are and a near match) or
    ///   `DataError.invalidOperation` naming the operation and its operands' types.
    public func type(in schema: Schema) throws -> DataType {
        switch self {
        case .column(let name): return try schema.type(of: name)
        case .literal(_, let type): return type
        case .alias(let operand, _): return try operand.type(in: schema)
        case .cast(let operand, let target):
            let source = try operand.type(in: schema)
            guard Self.canCast(source, to: target) else {
                throw DataError.invalidOperation("cannot cast \(operand) (\(source)) to \(target)")
            }
            return target
        case .unary(let op, let operand):
            let type = try operand.type(in: schema)
            switch op {
            case .isNull, .isNotNull: return .bool
            case .not:
                guard type == .bool else { throw DataError.invalidOperation("NOT needs a bool, \(operand) is \(type)") }
                return .bool
            case .negate:
                guard type.isNumeric else {
                    throw DataError.invalidOperation("cannot negate \(operand): it is \(type), not a number")
                }
                return type.isInteger ? .int64 : .float64
            }
        case .binary(let op, let lhs, let rhs):
            return try Self.binaryType(op, lhs, try lhs.type(in: schema), rhs, try rhs.type(in: schema))
        case .aggregate(let function, let arguments):
            guard arguments.count == function.arity else {
                throw DataError.invalidOperation(
                    "\(function) takes \(function.arity) arguments, not \(arguments.count)")
            }
            for argument in arguments where argument.containsAggregateOrWindow {
                throw DataError.invalidOperation("\(self) nests an aggregate or window inside an aggregate")
            }
            return try Self.aggregateType(function, arguments, try arguments.map { try $0.type(in: schema) })
        case .window(let function, let window):
            for key in window.partitionBy { _ = try key.type(in: schema) }
            for key in window.orderBy { _ = try key.expr.type(in: schema) }
            switch function {
            case .rowNumber, .rank, .denseRank: return .int64
            case .lag(let operand, _), .lead(let operand, _): return try operand.type(in: schema)
            case .cumulativeSum(let operand):
                return try Self.aggregateType(.sum, [operand], [try operand.type(in: schema)])
            }
        }
    }

    /// Whether an aggregate or window function appears anywhere in it.
    var containsAggregateOrWindow: Bool { containsAggregate || containsWindow }

    /// Whether an aggregate appears in it (outside window functions).
    var containsAggregate: Bool {
        switch self {
        case .aggregate: true
        case .column, .literal, .window: false
        case .alias(let operand, _), .cast(let operand, _), .unary(_, let operand): operand.containsAggregate
        case .binary(_, let lhs, let rhs): lhs.containsAggregate || rhs.containsAggregate
        }
    }

    /// Whether a window function appears in it.
    var containsWindow: Bool {
        switch self {
        case .window: true
        case .column, .literal, .aggregate: false
        case .alias(let operand, _), .cast(let operand, _), .unary(_, let operand): operand.containsWindow
        case .binary(_, let lhs, let rhs): lhs.containsWindow || rhs.containsWindow
        }
    }

    /// The column names it reads.
    var columnNames: Set<String> {
        switch self {
        case .column(let name): [name]
        case .literal: []
        case .alias(let operand, _), .cast(let operand, _), .unary(_, let operand): operand.columnNames
        case .binary(_, let lhs, let rhs): lhs.columnNames.union(rhs.columnNames)
        case .aggregate(_, let arguments): arguments.reduce(into: []) { $0.formUnion($1.columnNames) }
        case .window(let function, let window):
            (window.partitionBy + window.orderBy.map(\.expr) + (function.operand.map { [$0] } ?? []))
                .reduce(into: Set<String>()) { $0.formUnion($1.columnNames) }
        }
    }

    private static func binaryType(_ op: BinaryOperator, _ lhs: Expr, _ left: DataType, _ rhs: Expr, _ right: DataType)
        throws -> DataType
    {
        func refuse(_ why: String) -> DataError {
            .invalidOperation("cannot apply \(op.rawValue) to \(lhs) (\(left)) and \(rhs) (\(right)): \(why)")
        }
        if op.isArithmetic {
            guard left.isNumeric, right.isNumeric else { throw refuse("both must be numbers") }
            return left.isInteger && right.isInteger && op != .divide ? .int64 : .float64
        }
        if op.isComparison {
            let comparable =
                (left.isNumeric && right.isNumeric) || (left.isText && right.isText) || left == right
            guard comparable else { throw refuse("values of these types do not compare") }
            return .bool
        }
        guard left == .bool, right == .bool else { throw refuse("both must be bool") }
        return .bool
    }

    private static func aggregateType(_ function: AggregateFunction, _ arguments: [Expr], _ types: [DataType])
        throws -> DataType
    {
        func needNumbers() throws {
            for (argument, type) in zip(arguments, types) where !type.isNumeric {
                throw DataError.invalidOperation("\(function) needs numbers, \(argument) is \(type)")
            }
        }
        switch function {
        case .countRows, .count, .countDistinct: return .int64
        case .sum:
            try needNumbers()
            return types[0].isInteger ? .int64 : .float64
        case .mean, .median, .quantile, .variance, .standardDeviation, .correlation, .moment, .mergedMoments:
            try needNumbers()
            if case .quantile(let q) = function, !(0...1).contains(q) {
                throw DataError.invalidOperation("quantile \(q) of \(arguments[0]) is outside 0...1")
            }
            return .float64
        case .min, .max, .first, .last: return types[0]
        }
    }

    /// Whether `cast` converts `source` values to `target`.
    static func canCast(_ source: DataType, to target: DataType) -> Bool {
        if source == target || target == .utf8 { return true }
        if source.isNumeric && target.isNumeric { return true }
        if source.isText { return target.isNumeric || target == .categorical || target == .bool }
        return source == .bool && target.isNumeric
    }
}

extension WindowFunction {
    /// The expression it reads values of, if any.
    var operand: Expr? {
        switch self {
        case .rowNumber, .rank, .denseRank: nil
        case .lag(let expr, _), .lead(let expr, _), .cumulativeSum(let expr): expr
        }
    }
}
