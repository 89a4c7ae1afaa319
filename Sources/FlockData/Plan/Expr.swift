/// A column-valued expression over a plan's columns: what `select`, `filter`, `withColumn`
/// and `agg` take. Built with `col`, `lit`, Swift operators and methods
/// (`col("v1").sum()`, `col("price") * 1.2 > col("limit")`), checked against a schema
/// when a plan is built (`type(in:)`), and evaluated a batch at a time.
public indirect enum Expr: Sendable, Codable, CustomStringConvertible {
    /// The column of that name.
    case column(String)
    /// One value (nil: null) of a type, repeated for every row.
    case literal(Value?, DataType)
    /// An arithmetic, comparison or logical operator.
    case binary(BinaryOperator, Expr, Expr)
    /// `not`, negation, or a null test.
    case unary(UnaryOperator, Expr)
    /// The value converted to another type (text that does not parse becomes null).
    case cast(Expr, DataType)
    /// The same values under another output name.
    case alias(Expr, String)
    /// One value per group (or for the whole frame) from the rows of the group.
    case aggregate(AggregateFunction, [Expr])
    /// One value per row from the rows of its partition, in the window's order.
    case window(WindowFunction, Window)

    /// The name of the column this expression makes: an alias, a column's own name, or
    /// the expression written out (`sum(v1)`).
    public var name: String {
        switch self {
        case .column(let name), .alias(_, let name): name
        default: description
        }
    }

    /// The expression under another output name.
    public func alias(_ name: String) -> Expr { .alias(self, name) }

    /// The value converted to `type`.
    public func cast(_ type: DataType) -> Expr { .cast(self, type) }

    /// True where the value is null.
    public func isNull() -> Expr { .unary(.isNull, self) }

    /// True where the value is present.
    public func isNotNull() -> Expr { .unary(.isNotNull, self) }

    public var description: String {
        switch self {
        case .column(let name): name
        case .literal(let value, let type):
            switch value {
            case nil: "null"
            case .string(let text)?: "'\(text)'"
            case let value?: type == .float64 && !"\(value)".contains(".") ? "\(value).0" : "\(value)"
            }
        case .binary(let op, let lhs, let rhs): "(\(lhs) \(op.rawValue) \(rhs))"
        case .unary(.not, let operand): "NOT \(operand)"
        case .unary(.negate, let operand): "-\(operand)"
        case .unary(.isNull, let operand): "\(operand) IS NULL"
        case .unary(.isNotNull, let operand): "\(operand) IS NOT NULL"
        case .cast(let operand, let type): "CAST(\(operand) AS \(type))"
        case .alias(let operand, let name): "\(operand) AS \(name)"
        case .aggregate(let function, let arguments):
            "\(function)(\(arguments.map(\.description).joined(separator: ", ")))"
        case .window(let function, let window): "\(function) OVER (\(window))"
        }
    }
}

/// Operators of two operands; the raw value is how plans print them (SQL's spelling).
public enum BinaryOperator: String, Sendable, Codable {
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"
    case modulo = "%"
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case and = "AND"
    case or = "OR"

    /// Whether it compares its operands (and makes booleans).
    var isComparison: Bool { [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual].contains(self) }
    /// Whether it is arithmetic on numbers.
    var isArithmetic: Bool { [.add, .subtract, .multiply, .divide, .modulo].contains(self) }
}

/// Operators of one operand.
public enum UnaryOperator: String, Sendable, Codable {
    case not, negate, isNull, isNotNull
}

/// The column named `name`.
public func col(_ name: String) -> Expr { .column(name) }

/// A literal value repeated for every row.
public func lit(_ value: Int) -> Expr { .literal(.int(Int64(value)), .int64) }
/// A literal value repeated for every row.
public func lit(_ value: Double) -> Expr { .literal(.double(value), .float64) }
/// A literal value repeated for every row.
public func lit(_ value: String) -> Expr { .literal(.string(value), .utf8) }
/// A literal value repeated for every row.
public func lit(_ value: Bool) -> Expr { .literal(.bool(value), .bool) }
/// A null of `type` repeated for every row.
public func null(_ type: DataType) -> Expr { .literal(nil, type) }

/// Arithmetic, comparisons and logic on expressions, so filters read as Swift
/// (`col("v1") * 2 >= col("v2") && col("id1") == "id001"`). These build expressions; they
/// do not compare them.
extension Expr {
    public static func + (lhs: Expr, rhs: Expr) -> Expr { .binary(.add, lhs, rhs) }
    public static func - (lhs: Expr, rhs: Expr) -> Expr { .binary(.subtract, lhs, rhs) }
    public static func * (lhs: Expr, rhs: Expr) -> Expr { .binary(.multiply, lhs, rhs) }
    public static func / (lhs: Expr, rhs: Expr) -> Expr { .binary(.divide, lhs, rhs) }
    public static func % (lhs: Expr, rhs: Expr) -> Expr { .binary(.modulo, lhs, rhs) }
    public static func == (lhs: Expr, rhs: Expr) -> Expr { .binary(.equal, lhs, rhs) }
    public static func != (lhs: Expr, rhs: Expr) -> Expr { .binary(.notEqual, lhs, rhs) }
    public static func < (lhs: Expr, rhs: Expr) -> Expr { .binary(.less, lhs, rhs) }
    public static func <= (lhs: Expr, rhs: Expr) -> Expr { .binary(.lessOrEqual, lhs, rhs) }
    public static func > (lhs: Expr, rhs: Expr) -> Expr { .binary(.greater, lhs, rhs) }
    public static func >= (lhs: Expr, rhs: Expr) -> Expr { .binary(.greaterOrEqual, lhs, rhs) }
    public static func && (lhs: Expr, rhs: Expr) -> Expr { .binary(.and, lhs, rhs) }
    public static func || (lhs: Expr, rhs: Expr) -> Expr { .binary(.or, lhs, rhs) }
    public static prefix func ! (operand: Expr) -> Expr { .unary(.not, operand) }
    public static prefix func - (operand: Expr) -> Expr { .unary(.negate, operand) }
}

/// Literals on either side of an operator (`col("v1") > 3`, `col("id1") == "id001"`).
extension Expr: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral,
    ExpressibleByBooleanLiteral
{
    public init(integerLiteral value: Int) { self = lit(value) }
    public init(floatLiteral value: Double) { self = lit(value) }
    public init(stringLiteral value: String) { self = lit(value) }
    public init(booleanLiteral value: Bool) { self = lit(value) }
}
