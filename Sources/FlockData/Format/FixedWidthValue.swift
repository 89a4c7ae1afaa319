/// A Swift number stored as-is (little-endian) in a fixed-width column.
public protocol FixedWidthValue: Sendable, Equatable {
    /// The column type these values make by default.
    static var dataType: DataType { get }
}

extension Int8: FixedWidthValue { public static var dataType: DataType { .int8 } }
extension Int16: FixedWidthValue { public static var dataType: DataType { .int16 } }
extension Int32: FixedWidthValue { public static var dataType: DataType { .int32 } }
extension Int64: FixedWidthValue { public static var dataType: DataType { .int64 } }
extension Float: FixedWidthValue { public static var dataType: DataType { .float32 } }
extension Double: FixedWidthValue { public static var dataType: DataType { .float64 } }
