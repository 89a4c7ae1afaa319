/// Building columns in kernels without a value-at-a-time detour: fixed-width values written
/// straight into the column's byte buffer, booleans packed eight at a time, validity
/// bitmaps combined a byte at a time.
extension Column {
    /// A `type` column of `count` values that `fill` writes as `T` (the type's storage).
    static func fixed<T: FixedWidthValue>(
        _: T.Type, type: DataType = T.dataType, count: Int, validity: Bitmap?, categories: Categories? = nil,
        _ fill: (UnsafeMutableBufferPointer<T>) -> Void
    ) -> Column {
        let bytes = [UInt8](unsafeUninitializedCapacity: count * MemoryLayout<T>.stride) { buffer, initialized in
            // Swift's array storage is 16-byte aligned, so the bytes can be bound to T.
            let typed = UnsafeMutableRawBufferPointer(buffer).bindMemory(to: T.self)
            fill(typed)
            initialized = count * MemoryLayout<T>.stride
        }
        return Column(
            unchecked: type, count: count, validity: validity, values: bytes, categories: categories)
    }

    /// A bool column of `count` values, value i being `value(i)`.
    static func bools(count: Int, validity: Bitmap?, _ value: (Int) -> Bool) -> Column {
        Column(unchecked: .bool, count: count, validity: validity, values: Bitmap.packing(count: count, value).bytes)
    }

    /// The values widened to int64 (int8-int64, date32, timestamps, bool), without a copy
    /// when they are stored as int64 already.
    func withInt64s<R>(_ body: (UnsafeBufferPointer<Int64>) throws -> R) rethrows -> R {
        func widened<T: FixedWidthValue & BinaryInteger>(_: T.Type) -> [Int64] {
            values.withUnsafeBytes { raw in raw.bindMemory(to: T.self).map { Int64($0) } }
        }
        switch type.storageType {
        case .int64: return try values.withUnsafeBytes { try body($0.bindMemory(to: Int64.self)) }
        case .int32: return try widened(Int32.self).withUnsafeBufferPointer(body)
        case .int16: return try widened(Int16.self).withUnsafeBufferPointer(body)
        case .int8: return try widened(Int8.self).withUnsafeBufferPointer(body)
        case .bool: return try (0..<count).map { Int64(boolValue($0) ? 1 : 0) }.withUnsafeBufferPointer(body)
        default: return try doubles().map { Int64($0) }.withUnsafeBufferPointer(body)
        }
    }

    /// The values converted to float64, without a copy when they are float64 already.
    package func withDoubles<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        if type == .float64 { return try values.withUnsafeBytes { try body($0.bindMemory(to: Double.self)) } }
        return try doubles().withUnsafeBufferPointer(body)
    }

    /// The values as a new float64 array (numbers, bools).
    private func doubles() -> [Double] {
        switch type.storageType {
        case .float64: values.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        case .float32: values.withUnsafeBytes { $0.bindMemory(to: Float.self).map { Double($0) } }
        default: withInt64s { $0.map { Double($0) } }
        }
    }

    /// Boolean value i (of a bool column).
    func boolValue(_ index: Int) -> Bool { values[index >> 3] & (1 << UInt8(index & 7)) != 0 }

    /// The text of value i of a utf8 or categorical column (empty for a null).
    func text(_ index: Int) -> String {
        if let categories {
            return values.withUnsafeBytes { categories.values[Int($0.load(fromByteOffset: 4 * index, as: Int32.self))] }
        }
        // Invariant: the other text type, utf8, has offsets.
        let (start, end) = (Int(offsets![index]), Int(offsets![index + 1]))
        return String(decoding: values[start..<end], as: UTF8.self)
    }
}

extension Bitmap {
    /// `count` bits, bit i being `value(i)`, packed a byte at a time.
    static func packing(count: Int, _ value: (Int) -> Bool) -> Bitmap {
        var bitmap = Bitmap(count: count, value: false)
        bitmap.bytes.withUnsafeMutableBufferPointer { bytes in
            for byteIndex in 0..<bytes.count {
                var byte: UInt8 = 0
                let base = byteIndex << 3
                for bit in 0..<Swift.min(8, count - base) where value(base + bit) { byte |= 1 << UInt8(bit) }
                bytes[byteIndex] = byte
            }
        }
        return bitmap
    }

    /// The validity of a value computed from two: present where both are (nil: all present).
    static func both(_ lhs: Bitmap?, _ rhs: Bitmap?) -> Bitmap? {
        guard var result = lhs else { return rhs }
        guard let rhs else { return result }
        result.bytes.withUnsafeMutableBufferPointer { out in
            for i in 0..<out.count { out[i] &= rhs.bytes[i] }
        }
        return result
    }

    /// Sets bit `index` to `value`.
    mutating func set(_ index: Int, _ value: Bool) {
        if value { bytes[index >> 3] |= 1 << UInt8(index & 7) } else { bytes[index >> 3] &= ~(1 << UInt8(index & 7)) }
    }
}
