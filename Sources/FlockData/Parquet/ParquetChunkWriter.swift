/// Encodes one column of one row group as a column chunk: an optional dictionary page and
/// one data page (definition levels, then PLAIN or dictionary-index values), compressed,
/// with the chunk's metadata and statistics.
struct ParquetChunkWriter {
    let column: Column
    let name: String
    let codec: ParquetCodec

    /// The physical type a FlockData type is stored as.
    static func physicalType(of type: DataType) -> ParquetPhysicalType {
        switch type {
        case .bool: .boolean
        case .int8, .int16, .int32, .date32: .int32
        case .int64, .timestampMicroseconds: .int64
        case .float32: .float
        case .float64: .double
        case .utf8, .categorical: .byteArray
        }
    }

    /// The chunk's bytes (pages) and metadata, for a chunk starting at file offset `offset`.
    func encode(at offset: Int64) throws -> (bytes: [UInt8], chunk: ParquetColumnChunk) {
        let present = (0..<column.count).filter { !column.isNull($0) }
        let levels = column.validity == nil ? nil : (0..<column.count).map { UInt32(column.isNull($0) ? 0 : 1) }
        var bytes: [UInt8] = []
        var uncompressedTotal: Int64 = 0
        var dictionaryOffset: Int64?
        var encodings: [ParquetEncoding] = [.rle, .plain]
        var values: [UInt8]
        var valueEncoding = ParquetEncoding.plain
        if let (dictionary, indices, count) = dictionaryEncoding(present) {
            dictionaryOffset = offset
            let page = try page(.dictionary, body: dictionary, count: count, encoding: .plain)
            bytes += page.bytes
            uncompressedTotal += page.uncompressed
            let width = Swift.max(1, Int.bitWidth - (count - 1).leadingZeroBitCount)
            values = [UInt8(width)] + ParquetEncodings.encodeHybrid(indices, bitWidth: width)
            valueEncoding = .rleDictionary
            encodings.append(.rleDictionary)
        } else {
            values = plainValues(present)
        }
        var body: [UInt8] = []
        let levelBytes = ParquetEncodings.encodeHybrid(
            levels ?? [UInt32](repeating: 1, count: column.count), bitWidth: 1)
        body += ParquetEncodings.littleEndian(UInt32(levelBytes.count)) + levelBytes
        body += values
        let dataOffset = offset + Int64(bytes.count)
        let data = try page(.data, body: body, count: column.count, encoding: valueEncoding)
        bytes += data.bytes
        uncompressedTotal += data.uncompressed
        let chunk = ParquetColumnChunk(
            physicalType: Self.physicalType(of: column.type), encodings: encodings, path: [name], codec: codec,
            valueCount: Int64(column.count), uncompressedSize: uncompressedTotal, compressedSize: Int64(bytes.count),
            dataPageOffset: dataOffset, dictionaryPageOffset: dictionaryOffset, statistics: statistics(present))
        return (bytes, chunk)
    }

    /// A page: its header then its compressed body; `uncompressed` counts header + body.
    private func page(_ kind: ParquetPageHeader.Kind, body: [UInt8], count: Int, encoding: ParquetEncoding) throws
        -> (bytes: [UInt8], uncompressed: Int64)
    {
        let compressed = try codec.compress(body)
        let header = ParquetPageHeader(
            kind: kind, uncompressedSize: body.count, compressedSize: compressed.count, valueCount: count,
            encoding: encoding
        ).encoded()
        return (header + compressed, Int64(header.count + body.count))
    }

    /// Dictionary page values, one index per present row and the entry count, for text
    /// whose distinct values are at most half the rows (categorical: its categories).
    private func dictionaryEncoding(_ present: [Int]) -> ([UInt8], [UInt32], Int)? {
        switch column.type {
        case .categorical:
            guard let categories = column.categories else { return nil }
            var dictionary: [UInt8] = []
            for value in categories.values { Self.appendPlain(Array(value.utf8), to: &dictionary) }
            let codes = present.map { UInt32(truncatingIfNeeded: code(at: $0)) }
            return (dictionary, codes, categories.values.count)
        case .utf8:
            var entries: [ArraySlice<UInt8>: UInt32] = [:]
            var dictionary: [UInt8] = []
            var indices: [UInt32] = []
            indices.reserveCapacity(present.count)
            for row in present {
                let value = utf8Bytes(at: row)
                if let index = entries[value] {
                    indices.append(index)
                } else {
                    guard entries.count < Swift.max(16, present.count / 2) else { return nil }
                    let index = UInt32(entries.count)
                    entries[value] = index
                    Self.appendPlain(Array(value), to: &dictionary)
                    indices.append(index)
                }
            }
            return entries.isEmpty ? nil : (dictionary, indices, entries.count)
        default:
            return nil
        }
    }

    /// The code of row `row` of a categorical column.
    private func code(at row: Int) -> Int32 {
        column.values.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4 * row, as: Int32.self) }
    }

    /// The UTF-8 bytes of row `row` of a text column.
    private func utf8Bytes(at row: Int) -> ArraySlice<UInt8> {
        guard let offsets = column.offsets else { return ArraySlice(column.text(row).utf8) }
        return column.values[Int(offsets[row])..<Int(offsets[row + 1])]
    }

    private static func appendPlain(_ value: [UInt8], to bytes: inout [UInt8]) {
        bytes += ParquetEncodings.littleEndian(UInt32(value.count))
        bytes += value
    }

    /// The present values PLAIN-encoded in the physical type.
    private func plainValues(_ present: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        switch column.type {
        case .bool:
            out = [UInt8](repeating: 0, count: (present.count + 7) / 8)
            for (i, row) in present.enumerated() where column.boolValue(row) { out[i / 8] |= 1 << UInt8(i % 8) }
        case .utf8, .categorical:
            for row in present { Self.appendPlain(Array(utf8Bytes(at: row)), to: &out) }
        case .int8, .int16:
            let width = column.type.byteWidth ?? 1
            for row in present {
                var value: Int32 = 0
                for k in 0..<width { value |= Int32(column.values[row * width + k]) << Int32(8 * k) }
                let shift = Int32(32 - 8 * width)
                value = (value << shift) >> shift  // sign-extend
                out += ParquetEncodings.littleEndian(value)
            }
        default:
            let width = column.type.byteWidth ?? 1
            if present.count == column.count { return column.values }
            out.reserveCapacity(present.count * width)
            for row in present { out += column.values[row * width..<(row + 1) * width] }
        }
        return out
    }

    /// min, max (PLAIN bytes, NaN ignored) and the null count.
    private func statistics(_ present: [Int]) -> ParquetStatistics {
        let nulls = Int64(column.count - present.count)
        let (minimum, maximum) = extremes(present)
        return ParquetStatistics(minimum: minimum.map(plain), maximum: maximum.map(plain), nullCount: nulls)
    }

    /// The smallest and largest present values (NaN ignored), compared on the stored
    /// values: integers and floats through typed buffers, text by its UTF-8 bytes
    /// (categorical: only the categories its codes use).
    private func extremes(_ present: [Int]) -> (Value?, Value?) {
        guard let first = present.first else { return (nil, nil) }
        switch column.type {
        case .float32, .float64:
            return column.withDoubles { x in
                var (low, high) = (Double.infinity, -Double.infinity)
                for row in present where !x[row].isNaN {
                    low = Swift.min(low, x[row])
                    high = Swift.max(high, x[row])
                }
                return low > high ? (nil, nil) : (.double(low), .double(high))
            }
        case .utf8, .categorical:
            var rows = present
            if column.type == .categorical {
                var seen = Set<Int32>()
                rows = present.filter { seen.insert(code(at: $0)).inserted }
            }
            var (low, high) = (rows[0], rows[0])
            for row in rows.dropFirst() {
                let value = utf8Bytes(at: row)
                if value.lexicographicallyPrecedes(utf8Bytes(at: low)) { low = row }
                if utf8Bytes(at: high).lexicographicallyPrecedes(value) { high = row }
            }
            return (column[low], column[high])
        case .bool:
            let values = Set(present.map { column.boolValue($0) })
            return (.bool(!values.contains(false)), .bool(values.contains(true)))
        default:
            let (low, high) = column.withInt64s { x in
                present.reduce((x[first], x[first])) { (Swift.min($0.0, x[$1]), Swift.max($0.1, x[$1])) }
            }
            switch column.type {
            case .date32: return (.date(daysSinceEpoch: Int32(low)), .date(daysSinceEpoch: Int32(high)))
            case .timestampMicroseconds:
                return (.timestamp(microsecondsSinceEpoch: low), .timestamp(microsecondsSinceEpoch: high))
            default: return (.int(low), .int(high))
            }
        }
    }

    /// One value PLAIN-encoded in this column's physical type (without a length for text).
    private func plain(_ value: Value) -> [UInt8] {
        func bytes<T: FixedWidthInteger>(_ x: T) -> [UInt8] { ParquetEncodings.littleEndian(x) }
        switch (value, Self.physicalType(of: column.type)) {
        case (.int(let x), .int32): return bytes(Int32(truncatingIfNeeded: x))
        case (.int(let x), _): return bytes(x)
        case (.double(let x), .float): return bytes(Float(x).bitPattern)
        case (.double(let x), _): return bytes(x.bitPattern)
        case (.string(let x), _): return Array(x.utf8)
        case (.bool(let x), _): return [x ? 1 : 0]
        case (.date(let x), _): return bytes(x)
        case (.timestamp(let x), _): return bytes(x)
        }
    }
}
