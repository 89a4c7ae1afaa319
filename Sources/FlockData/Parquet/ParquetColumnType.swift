/// How a Parquet leaf column becomes a FlockData column: the type it reads as and how its
/// physical values convert (widths, time units, legacy INT96 timestamps).
struct ParquetColumnType: Sendable {
    /// What conversion the physical values need.
    enum Conversion: Sendable {
        case none
        /// Keep the low bytes of int32 values (INT(8) and INT(16)).
        case narrow(to: Int)
        /// Zero-extend unsigned 32-bit values to int64.
        case unsigned32
        /// Multiply (millis to micros) or divide (nanos to micros) int64 timestamps.
        case scale(multiply: Int64, divide: Int64)
        /// Julian day + nanoseconds (12 bytes) to microseconds since the epoch.
        case int96
    }

    let physical: ParquetPhysicalType
    let type: DataType
    let conversion: Conversion
    /// Whether the column may hold nulls (definition level 1).
    let optional: Bool

    /// The reading of `element`.
    /// - Throws: `DataError.malformedParquet` for nested or repeated columns and types Flock
    ///   does not read yet (decimal, fixed-length byte arrays, unsigned 64-bit).
    init(_ element: ParquetSchemaElement) throws {
        guard let physical = element.physicalType, element.childCount == 0 else {
            throw DataError.malformedParquet("column \(element.name) is nested; Flock reads flat tables only")
        }
        guard element.repetition != 2 else {
            throw DataError.malformedParquet(
                "column \(element.name) is repeated (a list); Flock reads flat tables only")
        }
        self.physical = physical
        optional = element.repetition == 1
        let logical = element.logicalType
        let converted = element.convertedType
        func refuse(_ what: String) -> DataError {
            .malformedParquet("column \(element.name) is \(what), which Flock does not read yet")
        }
        if logical?.fields[5] != nil || converted == 5 { throw refuse("a decimal") }
        switch physical {
        case .boolean: (type, conversion) = (.bool, .none)
        case .float: (type, conversion) = (.float32, .none)
        case .double: (type, conversion) = (.float64, .none)
        case .byteArray: (type, conversion) = (.utf8, .none)
        case .fixedLengthByteArray: throw refuse("a fixed-length byte array")
        case .int96: (type, conversion) = (.timestampMicroseconds, .int96)
        case .int32:
            let integer = logical?.structure(10, "IntType")
            let convertedBits: [Int64: Int64] = [11: 8, 12: 16, 13: 32, 15: 8, 16: 16]
            let bits: Int64 = integer?.int(1) ?? convertedBits[converted ?? -1] ?? 32
            let signed = integer?.bool(2) ?? !(11...14).contains(converted ?? -1)
            if logical?.fields[6] != nil || converted == 6 {
                (type, conversion) = (.date32, .none)
            } else if !signed {
                (type, conversion) = bits == 32 ? (.int64, .unsigned32) : (.int32, .none)
            } else if bits == 8 {
                (type, conversion) = (.int8, .narrow(to: 1))
            } else if bits == 16 {
                (type, conversion) = (.int16, .narrow(to: 2))
            } else {
                (type, conversion) = (.int32, .none)
            }
        case .int64:
            if let integer = logical?.structure(10, "IntType"), integer.bool(2) == false {
                throw refuse("unsigned 64-bit")
            }
            if converted == 14 { throw refuse("unsigned 64-bit") }
            if let timestamp = logical?.structure(8, "TimestampType") {
                let unit = timestamp.structure(2, "TimeUnit")
                if unit?.fields[1] != nil {
                    (type, conversion) = (.timestampMicroseconds, .scale(multiply: 1000, divide: 1))
                } else if unit?.fields[3] != nil {
                    (type, conversion) = (.timestampMicroseconds, .scale(multiply: 1, divide: 1000))
                } else {
                    (type, conversion) = (.timestampMicroseconds, .none)
                }
            } else if converted == 9 {
                (type, conversion) = (.timestampMicroseconds, .scale(multiply: 1000, divide: 1))
            } else if converted == 10 {
                (type, conversion) = (.timestampMicroseconds, .none)
            } else {
                (type, conversion) = (.int64, .none)
            }
        }
    }

    /// The width in bytes of one physical value (nil for booleans and byte arrays).
    var physicalWidth: Int? {
        switch physical {
        case .int32, .float: 4
        case .int64, .double: 8
        case .int96: 12
        case .boolean, .byteArray, .fixedLengthByteArray: nil
        }
    }

    /// Fixed-width physical values (little-endian) converted to the output type's bytes.
    func convert(_ bytes: [UInt8], count: Int) -> [UInt8] {
        switch conversion {
        case .none: return bytes
        case .narrow(let width):
            var out = [UInt8](repeating: 0, count: count * width)
            for i in 0..<count { for k in 0..<width { out[i * width + k] = bytes[i * 4 + k] } }
            return out
        case .unsigned32:
            var out = [UInt8](repeating: 0, count: count * 8)
            for i in 0..<count { for k in 0..<4 { out[i * 8 + k] = bytes[i * 4 + k] } }
            return out
        case .scale(let multiply, let divide):
            return Self.int64s(count: count) { i in
                let value = Self.load(bytes, at: i * 8, width: 8)
                let scaled = value.multipliedReportingOverflow(by: multiply).partialValue
                return divide == 1 ? scaled : (scaled - ((scaled % divide) + divide) % divide) / divide
            }
        case .int96:
            return Self.int64s(count: count) { i in
                let nanos = Self.load(bytes, at: i * 12, width: 8)
                let day = Self.load(bytes, at: i * 12 + 8, width: 4)
                return (day - 2_440_588) &* 86_400_000_000 &+ nanos / 1000
            }
        }
    }

    private static func load(_ bytes: [UInt8], at start: Int, width: Int) -> Int64 {
        var value: UInt64 = 0
        for k in 0..<width { value |= UInt64(bytes[start + k]) << UInt64(8 * k) }
        return Int64(bitPattern: value)
    }

    private static func int64s(count: Int, _ value: (Int) -> Int64) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count * 8)
        for i in 0..<count {
            let bits = UInt64(bitPattern: value(i))
            for k in 0..<8 { out[i * 8 + k] = UInt8(truncatingIfNeeded: bits >> UInt64(8 * k)) }
        }
        return out
    }
}
