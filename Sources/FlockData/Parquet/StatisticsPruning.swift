/// Whether a row group can hold a row that passes a filter, from its columns' minimum,
/// maximum and null count alone: the test that lets a scan skip row groups (and, with
/// hive partition values as exact statistics, whole files) without reading them.
///
/// Only provable cases skip: a conjunct `column op literal` (either side; =, <, <=, >,
/// >=, and != for non-floats), `IS NULL` / `IS NOT NULL`, and AND / OR of those. Anything
/// else (expressions, casts, unknown columns, missing or legacy text statistics) keeps
/// the row group. Numbers compare as numbers (int64 statistics against a float literal
/// only when both are exact as doubles); text compares by UTF-8 bytes, as Parquet orders it.
struct StatisticsPruning {
    /// One column's known range in a row group: nil bounds are unknown.
    struct Range {
        var minimum: Value?
        var maximum: Value?
        var nullCount: Int64?
        var rowCount: Int64
    }

    /// The ranges of the row group's columns, by name.
    let ranges: [String: Range]

    /// False only when `predicate` is false or null for every row of the row group.
    func mayMatch(_ predicate: Expr) -> Bool {
        switch predicate {
        case .binary(.and, let lhs, let rhs): return mayMatch(lhs) && mayMatch(rhs)
        case .binary(.or, let lhs, let rhs): return mayMatch(lhs) || mayMatch(rhs)
        case .unary(.isNull, .column(let name)):
            guard let range = ranges[name], let nulls = range.nullCount else { return true }
            return nulls > 0
        case .unary(.isNotNull, .column(let name)):
            guard let range = ranges[name], let nulls = range.nullCount else { return true }
            return nulls < range.rowCount
        case .binary(let op, .column(let name), .literal(let value?, _)) where op.isComparison:
            return mayMatch(name, op, value)
        case .binary(let op, .literal(let value?, _), .column(let name)) where op.isComparison:
            return mayMatch(name, op.mirrored, value)
        case .binary(_, .column, .literal(nil, _)), .binary(_, .literal(nil, _), .column):
            // A comparison with null is null for every row.
            return false
        default:
            return true
        }
    }

    private func mayMatch(_ name: String, _ op: BinaryOperator, _ value: Value) -> Bool {
        guard let range = ranges[name] else { return true }
        if let nulls = range.nullCount, nulls == range.rowCount { return false }  // Only nulls: never true.
        guard let minimum = range.minimum, let maximum = range.maximum,
            let low = Self.order(minimum, value), let high = Self.order(maximum, value)
        else { return true }
        switch op {
        case .equal: return low <= 0 && high >= 0
        case .less: return low < 0
        case .lessOrEqual: return low <= 0
        case .greater: return high > 0
        case .greaterOrEqual: return high >= 0
        case .notEqual:
            // NaN != x is true and NaN is not in the statistics: floats never skip here.
            if case .double = value { return true }
            if case .double = minimum { return true }
            return !(low == 0 && high == 0)
        default: return true
        }
    }

    /// -1, 0 or 1 as `a` is below, equal to or above `b`; nil when they do not compare
    /// exactly (different kinds, NaN, integers beyond a double's exact range).
    static func order(_ a: Value, _ b: Value) -> Int? {
        func exactDouble(_ value: Value) -> Double? {
            switch value {
            case .double(let x): return x.isNaN ? nil : x
            case .int(let x): return abs(x) <= 1 << 53 ? Double(x) : nil
            default: return nil
            }
        }
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.string(let x), .string(let y)):
            return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : (x.utf8.elementsEqual(y.utf8) ? 0 : 1)
        case (.date(let x), .date(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.timestamp(let x), .timestamp(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (!x ? -1 : 1)
        default:
            guard let x = exactDouble(a), let y = exactDouble(b) else { return nil }
            return x < y ? -1 : (x == y ? 0 : 1)
        }
    }
}

extension BinaryOperator {
    /// The operator with its operands swapped (`a < b` is `b > a`).
    var mirrored: BinaryOperator {
        switch self {
        case .less: .greater
        case .lessOrEqual: .greaterOrEqual
        case .greater: .less
        case .greaterOrEqual: .lessOrEqual
        default: self
        }
    }
}

extension StatisticsPruning.Range {
    /// The range of a column chunk of Parquet `type`, when its statistics decode.
    init(_ statistics: ParquetStatistics?, type: ParquetColumnType, rowCount: Int64) {
        self.init(minimum: nil, maximum: nil, nullCount: statistics?.nullCount, rowCount: rowCount)
        guard let statistics, let low = statistics.minimum, let high = statistics.maximum else { return }
        if type.physical == .byteArray && statistics.isLegacy { return }
        minimum = Self.decode(low, type)
        maximum = Self.decode(high, type)
    }

    /// A plain-encoded statistic as a value of the column's reading, when its conversion
    /// keeps order (signed integers, floats, text, dates).
    private static func decode(_ bytes: [UInt8], _ type: ParquetColumnType) -> Value? {
        func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard bytes.count == MemoryLayout<T>.size else { return nil }
            return bytes.withUnsafeBytes { $0.loadUnaligned(as: T.self) }.littleEndian
        }
        switch (type.physical, type.conversion) {
        case (.int32, .none), (.int32, .narrow):
            guard let x = integer(Int32.self) else { return nil }
            return type.type == .date32 ? .date(daysSinceEpoch: x) : .int(Int64(x))
        case (.int64, .none):
            guard let x = integer(Int64.self) else { return nil }
            return type.type == .timestampMicroseconds ? .timestamp(microsecondsSinceEpoch: x) : .int(x)
        case (.float, _): return integer(UInt32.self).map { .double(Double(Float(bitPattern: $0))) }
        case (.double, _): return integer(UInt64.self).map { .double(Double(bitPattern: $0)) }
        case (.byteArray, _): return String(validating: bytes, as: UTF8.self).map { .string($0) }
        default: return nil
        }
    }
}
