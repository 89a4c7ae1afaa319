/// The type of a column's values, as Arrow names them; each fixes the column's buffers
/// (`Column`): fixed-width values, bit-packed booleans, or offsets into UTF-8 bytes.
public enum DataType: String, Sendable, Codable, Equatable, Hashable, CaseIterable, CustomStringConvertible {
    case bool, int8, int16, int32, int64, float32, float64
    /// UTF-8 text: int32 offsets into one byte buffer.
    case utf8
    /// Days since 1970-01-01, int32.
    case date32
    /// Microseconds since 1970-01-01T00:00:00Z, int64.
    case timestampMicroseconds
    /// Text from a small set (Arrow's dictionary type): int32 codes into the column's
    /// `categories`, so grouping and joining on it compare integers.
    case categorical

    /// The bytes of one value in the values buffer; nil for bit-packed `bool` and for `utf8`.
    public var byteWidth: Int? {
        switch self {
        case .int8: 1
        case .int16: 2
        case .int32, .float32, .date32, .categorical: 4
        case .int64, .float64, .timestampMicroseconds: 8
        case .bool, .utf8: nil
        }
    }

    /// The type whose values are stored: dates as `int32`, timestamps as `int64`.
    public var storageType: DataType {
        switch self {
        case .date32, .categorical: .int32
        case .timestampMicroseconds: .int64
        default: self
        }
    }

    /// Whether values are numbers a tensor can hold.
    public var isNumeric: Bool { byteWidth != nil && storageType == self }

    /// Whether values are integers (signed, any width).
    public var isInteger: Bool { [.int8, .int16, .int32, .int64].contains(self) }

    /// Whether values are text (plain or categorical).
    public var isText: Bool { self == .utf8 || self == .categorical }

    public var description: String { rawValue }
}
