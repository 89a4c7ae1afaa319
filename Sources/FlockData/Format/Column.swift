/// One column of a batch in Arrow's memory layout: a validity bitmap (absent when no value
/// is null), and the values: `count` fixed-width little-endian values, bit-packed booleans,
/// or UTF-8 bytes with `count + 1` int32 offsets. A null slot's value bytes are present
/// and ignored (zero when Flock builds the column). Immutable; copies share storage.
public struct Column: Sendable, Equatable {
    public let type: DataType
    public let count: Int
    /// Bit i set: value i is present. nil: every value is.
    public let validity: Bitmap?
    /// The value bytes (see the type's layout above).
    public let values: [UInt8]
    /// For `utf8`: where value i's bytes start and end in `values` (i and i + 1).
    public let offsets: [Int32]?
    /// For `categorical`: the strings its codes stand for.
    public let categories: Categories?

    /// A column from its buffers, checked: the buffer sizes match `count` and `type`,
    /// offsets start at 0, never decrease and stay within `values`, text is UTF-8, and the
    /// codes of a categorical column index its categories.
    /// - Throws: `DataError.malformedColumn` naming the first problem.
    public init(
        type: DataType, count: Int, validity: Bitmap?, values: [UInt8], offsets: [Int32]? = nil,
        categories: Categories? = nil
    ) throws {
        guard count >= 0 else { throw DataError.malformedColumn("a negative length \(count)") }
        if let validity, validity.count != count {
            throw DataError.malformedColumn("\(count) values but a validity bitmap of \(validity.count) bits")
        }
        switch type {
        case .utf8:
            guard let offsets, offsets.count == count + 1 else {
                throw DataError.malformedColumn(
                    "\(count) strings need \(count + 1) offsets, got \(offsets?.count ?? 0)")
            }
            guard offsets[0] == 0, Int(offsets[count]) == values.count else {
                throw DataError.malformedColumn(
                    "offsets must run from 0 to the \(values.count) bytes, not \(offsets[0]) to \(offsets[count])")
            }
            for i in 0..<count where offsets[i + 1] < offsets[i] {
                throw DataError.malformedColumn(
                    "offset \(i + 1) (\(offsets[i + 1])) is below offset \(i) (\(offsets[i]))")
            }
            guard String(validating: values, as: UTF8.self) != nil else {
                throw DataError.malformedColumn("the text is not valid UTF-8")
            }
        case .bool:
            guard values.count >= (count + 7) / 8, offsets == nil else {
                throw DataError.malformedColumn("\(count) booleans need \((count + 7) / 8) bytes, got \(values.count)")
            }
        default:
            let width = type.byteWidth ?? 0  // Invariant: every other type has a width.
            guard values.count == count * width, offsets == nil else {
                throw DataError.malformedColumn(
                    "\(count) \(type) values need \(count * width) bytes, got \(values.count)")
            }
        }
        guard (type == .categorical) == (categories != nil) else {
            throw DataError.malformedColumn("categories belong to categorical columns, and every one has them")
        }
        if let categories {
            let bad = values.withUnsafeBytes { raw in
                (0..<count).first { i in
                    let code = raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)
                    return validity?[i] != false && !(0..<Int32(categories.values.count)).contains(code)
                }
            }
            if let bad {
                throw DataError.malformedColumn(
                    "code \(bad) is outside the \(categories.values.count) categories")
            }
        }
        self.init(
            unchecked: type, count: count, validity: validity, values: values, offsets: offsets,
            categories: categories)
    }

    /// A column of buffers the caller built right (kernels, readers that checked them).
    init(
        unchecked type: DataType, count: Int, validity: Bitmap?, values: [UInt8], offsets: [Int32]? = nil,
        categories: Categories? = nil
    ) {
        self.type = type
        self.count = count
        self.validity = validity.flatMap { $0.setCount == count ? nil : $0 }
        self.values = values
        self.offsets = offsets
        self.categories = categories
    }

    /// A categorical column of `values` (nil: null), its categories in order of first
    /// appearance.
    public init(categorical values: [String?]) {
        var codes: [String: Int32] = [:]
        var names: [String] = []
        let indexes = values.map { value -> Int32? in
            guard let value else { return nil }
            if let code = codes[value] { return code }
            codes[value] = Int32(names.count)
            names.append(value)
            return Int32(names.count - 1)
        }
        self.init(codes: indexes, categories: Categories(names))
    }

    /// A categorical column of `codes` (nil: null) into `categories`.
    init(codes: [Int32?], categories: Categories) {
        let plain = Column(codes)
        self.init(
            unchecked: .categorical, count: plain.count, validity: plain.validity, values: plain.values,
            categories: categories)
    }

    /// A column of `values` (nil: null) of `T`'s type, or of `type` when given (`date32`
    /// from `Int32`, `timestampMicroseconds` from `Int64`).
    public init<T: FixedWidthValue>(_ values: [T?], as type: DataType = T.dataType) {
        precondition(type.byteWidth == MemoryLayout<T>.size, "\(type) cannot hold \(T.self)")
        var bytes = [UInt8](repeating: 0, count: values.count * MemoryLayout<T>.size)
        bytes.withUnsafeMutableBytes { raw in
            for (index, value) in values.enumerated() {
                if let value { raw.storeBytes(of: value, toByteOffset: index * MemoryLayout<T>.size, as: T.self) }
            }
        }
        self.init(unchecked: type, count: values.count, validity: Self.validity(values), values: bytes, offsets: nil)
    }

    /// A boolean column (nil: null).
    public init(_ values: [Bool?]) {
        let bits = Bitmap(values.map { $0 ?? false })
        self.init(
            unchecked: .bool, count: values.count, validity: Self.validity(values), values: bits.bytes, offsets: nil)
    }

    /// A text column (nil: null).
    public init(_ values: [String?]) {
        var bytes: [UInt8] = []
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(values.count + 1)
        for value in values {
            if let value { bytes += value.utf8 }
            offsets.append(Int32(bytes.count))
        }
        self.init(
            unchecked: .utf8, count: values.count, validity: Self.validity(values), values: bytes, offsets: offsets)
    }

    private static func validity<T>(_ values: [T?]) -> Bitmap? {
        values.contains { $0 == nil } ? Bitmap(values.map { $0 != nil }) : nil
    }

    /// How many values are null.
    public var nullCount: Int { validity.map { count - $0.setCount } ?? 0 }

    /// Whether value `index` is null.
    public func isNull(_ index: Int) -> Bool {
        guard let validity else { return false }
        return !validity[index]
    }

    /// The fixed-width values as `T` (null slots hold zero or whatever the source wrote).
    /// - Throws: `DataError.valueType` when the column does not store `T`.
    public func withValues<T: FixedWidthValue, R>(as _: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) throws
        -> R
    {
        guard T.dataType == type.storageType else { throw DataError.valueType(requested: "\(T.self)", column: type) }
        return try values.withUnsafeBytes { raw in try body(raw.bindMemory(to: T.self)) }
    }

    /// Value `index` (nil when null).
    public subscript(index: Int) -> Value? {
        guard !isNull(index) else { return nil }
        func load<T: FixedWidthValue>(_: T.Type) -> T {
            values.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self) }
        }
        switch type {
        case .bool: return .bool(values[index >> 3] & (1 << UInt8(index & 7)) != 0)
        case .int8: return .int(Int64(load(Int8.self)))
        case .int16: return .int(Int64(load(Int16.self)))
        case .int32: return .int(Int64(load(Int32.self)))
        case .int64: return .int(load(Int64.self))
        case .float32: return .double(Double(load(Float.self)))
        case .float64: return .double(load(Double.self))
        case .date32: return .date(daysSinceEpoch: load(Int32.self))
        // Invariant: categorical columns have categories holding every code (checked or built so).
        case .categorical: return .string(categories!.values[Int(load(Int32.self))])
        case .timestampMicroseconds: return .timestamp(microsecondsSinceEpoch: load(Int64.self))
        case .utf8:
            // Invariant: utf8 columns have offsets (checked or built so).
            let (start, end) = (Int(offsets![index]), Int(offsets![index + 1]))
            return .string(String(decoding: values[start..<end], as: UTF8.self))
        }
    }

    /// Values `range` as a column of their own.
    public func slice(_ range: Range<Int>) -> Column {
        let validity = self.validity?.slice(range)
        switch type {
        case .utf8:
            let offsets = self.offsets!  // Invariant: utf8 columns have offsets.
            let (start, end) = (Int(offsets[range.lowerBound]), Int(offsets[range.upperBound]))
            return Column(
                unchecked: type, count: range.count, validity: validity, values: Array(values[start..<end]),
                offsets: offsets[range.lowerBound...range.upperBound].map { $0 - Int32(start) })
        case .bool:
            // Invariant: a bool column's values hold `count` bits.
            let bits = try! Bitmap(bytes: values, count: count).slice(range)
            return Column(unchecked: type, count: range.count, validity: validity, values: bits.bytes, offsets: nil)
        default:
            let width = type.byteWidth!  // Invariant: every other type has a width.
            return Column(
                unchecked: type, count: range.count, validity: validity,
                values: Array(values[range.lowerBound * width..<range.upperBound * width]), offsets: nil,
                categories: categories)
        }
    }
}

/// One value of a column, for display, comparisons in tests and row-at-a-time references.
public enum Value: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case date(daysSinceEpoch: Int32)
    case timestamp(microsecondsSinceEpoch: Int64)

    public var description: String {
        switch self {
        case .bool(let value): "\(value)"
        case .int(let value): "\(value)"
        case .double(let value): "\(value)"
        case .string(let value): value
        case .date(let days): "date(\(days))"
        case .timestamp(let microseconds): "timestamp(\(microseconds))"
        }
    }
}
