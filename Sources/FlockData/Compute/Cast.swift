import Foundation

/// Converting a column's values to another type: numbers to numbers (floats to integers
/// truncate; out of range is null), anything to text, text to numbers or bools (what does
/// not parse is null), text to categorical and back.
enum Cast {
    /// `column` as `target` values.
    static func apply(_ column: Column, to target: DataType) -> Column {
        if column.type == target { return column }
        let count = column.count
        switch target {
        case .utf8:
            return Column((0..<count).map { column.isNull($0) ? nil : column.text(orDescriptionOf: $0) })
        case .categorical:
            return Column(categorical: (0..<count).map { column.isNull($0) ? nil : column.text(orDescriptionOf: $0) })
        case .bool:
            return Column(
                (0..<count).map { i -> Bool? in
                    guard !column.isNull(i) else { return nil }
                    if column.type.isText { return ["true": true, "false": false][column.text(i).lowercased()] }
                    return column[i] != .int(0) && column[i] != .double(0)
                })
        default:
            if column.type.isText {
                let parsed = Column((0..<count).map { column.isNull($0) ? nil : Double(column.text($0)) })
                return apply(parsed, to: target)
            }
            if target == .float64 || target == .float32 {
                let doubles = column.withDoubles { Array($0) }
                let present = (0..<count).map { !column.isNull($0) }
                return target == .float64
                    ? Column(zip(doubles, present).map { $1 ? $0 : nil })
                    : Column(zip(doubles, present).map { $1 ? Float($0) : nil })
            }
            let present = (0..<count).map { !column.isNull($0) }
            let values: [Int64?] =
                column.type.storageType == .float64 || column.type.storageType == .float32
                ? column.withDoubles { doubles in
                    (0..<count).map { present[$0] ? Int64(exactly: doubles[$0].rounded(.towardZero)) : nil }
                }
                : column.withInt64s { ints in (0..<count).map { present[$0] ? ints[$0] : nil } }
            return narrowed(values, to: target)
        }
    }

    /// Int64 values stored as `target` (an integer type), null where they do not fit.
    private static func narrowed(_ values: [Int64?], to target: DataType) -> Column {
        switch target.storageType {
        case .int8: Column(values.map { $0.flatMap { Int8(exactly: $0) } }, as: target)
        case .int16: Column(values.map { $0.flatMap { Int16(exactly: $0) } }, as: target)
        case .int32: Column(values.map { $0.flatMap { Int32(exactly: $0) } }, as: target)
        default: Column(values, as: target)
        }
    }
}

extension Column {
    /// Value i as text: the text of a text column, else the value's description.
    func text(orDescriptionOf index: Int) -> String {
        type.isText ? text(index) : self[index].map { "\($0)" } ?? ""
    }
}
