/// Record batches as bytes, for the object store and the shuffle: Arrow's buffers written
/// one after another with their lengths, so encoding is a few copies and decoding takes
/// only the columns asked for. Bytes from another process are not trusted: every length is
/// checked against what is there and every column goes through `Column`'s checks.
///
/// A batch: "FLB1", UInt32 columns, UInt64 rows, then per column: UInt32 name length and
/// the UTF-8 name, a type byte, a flags byte (1: validity bitmap follows), UInt64 length
/// of the block that follows, and the block: the bitmap, the values (UInt64 length +
/// bytes), text offsets (rows + 1 Int32s), categories (UInt32 count, count + 1 Int32
/// offsets, UInt64 length + UTF-8 bytes). Pieces (one batch per reducer of a shuffle):
/// "FLP1", UInt32 pieces, UInt64 end offsets of each, then the batches.
public enum BatchCoding {
    private static let batchMagic: [UInt8] = Array("FLB1".utf8)
    private static let piecesMagic: [UInt8] = Array("FLP1".utf8)

    /// The bytes of `batch`.
    public static func encode(_ batch: RecordBatch) -> [UInt8] {
        var out = ByteSink(capacity: size(of: batch))
        write(batch, into: &out)
        return out.bytes
    }

    /// The bytes of `pieces`, each readable alone with `decode(piece:of:)`.
    public static func encode(pieces: [RecordBatch]) -> [UInt8] {
        let sizes = pieces.map(size)
        var out = ByteSink(capacity: 8 + 8 * pieces.count + sizes.reduce(0, +))
        out.append(piecesMagic)
        out.integer(UInt32(pieces.count))
        var end = 0
        for size in sizes {
            end += size
            out.integer(UInt64(end))
        }
        for piece in pieces { write(piece, into: &out) }
        return out.bytes
    }

    /// How many bytes `write` makes of `batch`: the buffer is sized once, then filled (it
    /// grew by doubling before, copying shuffles of 100+ MiB several times).
    private static func size(of batch: RecordBatch) -> Int {
        zip(batch.names, batch.columns).reduce(16) { total, named in
            total + 4 + named.0.utf8.count + 2 + 8 + blockLength(named.1)
        }
    }

    /// The length of a column's block (validity, values, offsets, categories).
    private static func blockLength(_ column: Column) -> Int {
        var length = (column.validity?.bytes.count ?? 0) + 8 + column.values.count
        length += 4 * (column.offsets?.count ?? 0)
        if let categories = column.categories {
            let text = categories.values.reduce(0) { $0 + $1.utf8.count }
            length += 4 + 4 * (categories.values.count + 1) + 8 + text
        }
        return length
    }

    /// Appends the bytes of `batch` to `out`.
    private static func write(_ batch: RecordBatch, into out: inout ByteSink) {
        out.append(batchMagic)
        out.integer(UInt32(batch.columns.count))
        out.integer(UInt64(batch.rowCount))
        for (name, column) in zip(batch.names, batch.columns) {
            out.text(name)
            out.integer(UInt8(DataType.allCases.firstIndex(of: column.type)!))  // Invariant: every type is a case.
            out.integer(UInt8(column.validity == nil ? 0 : 1))
            out.integer(UInt64(blockLength(column)))
            if let validity = column.validity { out.append(validity.bytes) }
            out.integer(UInt64(column.values.count))
            out.append(column.values)
            if let offsets = column.offsets { out.integers(offsets) }
            if let categories = column.categories {
                out.integer(UInt32(categories.values.count))
                var position: Int32 = 0
                out.integer(position)
                for text in categories.values {
                    position += Int32(text.utf8.count)
                    out.integer(position)
                }
                out.integer(UInt64(Int(position)))
                for text in categories.values { out.append(utf8: text) }
            }
        }
    }

    /// How many pieces `bytes` (from `encode(pieces:)`) holds.
    /// - Throws: `DataError.malformedBatch` when they are not pieces.
    public static func pieceCount(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        var cursor = ByteCursor(bytes)
        guard try cursor.take(4).elementsEqual(piecesMagic) else { throw cursor.problem("no pieces header") }
        return Int(try cursor.integer(UInt32.self))
    }

    /// Piece `index` of `bytes` (from `encode(pieces:)`), with only `columns` (all when nil).
    /// - Throws: `DataError.malformedBatch` or `.malformedColumn` naming what is wrong.
    public static func decode(
        piece index: Int, of bytes: UnsafeRawBufferPointer, columns: Set<String>? = nil,
        categories: CategoryInterner? = nil
    ) throws -> RecordBatch {
        let count = try pieceCount(bytes)
        guard (0..<count).contains(index) else {
            throw DataError.malformedBatch("piece \(index) asked of \(count) pieces")
        }
        var cursor = ByteCursor(bytes)
        let body = 8 + 8 * count
        _ = try cursor.take(8 + 8 * max(0, index - 1))
        let start = index == 0 ? 0 : Int(clamping: try cursor.integer(UInt64.self))
        let end = Int(clamping: try cursor.integer(UInt64.self))
        guard start <= end, end <= bytes.count - body else {
            throw DataError.malformedBatch("piece \(index) runs from \(start) to \(end) of \(bytes.count - body) bytes")
        }
        return try decode(
            UnsafeRawBufferPointer(rebasing: bytes[body + start..<body + end]), columns: columns,
            categories: categories)
    }

    /// The batch in `bytes` (from `encode(_:)`), with only `columns` (all when nil).
    /// - Throws: `DataError.malformedBatch` or `.malformedColumn` naming what is wrong.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, columns wanted: Set<String>? = nil, categories: CategoryInterner? = nil
    ) throws -> RecordBatch {
        var cursor = ByteCursor(bytes)
        guard try cursor.take(4).elementsEqual(batchMagic) else { throw cursor.problem("no batch header") }
        let columnCount = Int(try cursor.integer(UInt32.self))
        let rows = try cursor.integer(UInt64.self)
        guard rows <= UInt64(Int32.max) else { throw cursor.problem("\(rows) rows are more than a batch holds") }
        var names: [String] = []
        var columns: [Column] = []
        for _ in 0..<columnCount {
            let name = try cursor.text()
            let typeIndex = Int(try cursor.integer(UInt8.self))
            guard typeIndex < DataType.allCases.count else { throw cursor.problem("unknown type \(typeIndex)") }
            let flags = try cursor.integer(UInt8.self)
            let length = Int(clamping: try cursor.integer(UInt64.self))
            let block = try cursor.take(length)
            guard wanted?.contains(name) ?? true else { continue }
            var reader = ByteCursor(block)
            let column = try decodeColumn(
                &reader, type: DataType.allCases[typeIndex], count: Int(rows), hasValidity: flags & 1 == 1,
                name: name, categories: categories)
            guard reader.isAtEnd else { throw reader.problem("column \"\(name)\" has trailing bytes") }
            names.append(name)
            columns.append(column)
        }
        guard cursor.isAtEnd else { throw cursor.problem("trailing bytes after the last column") }
        return try RecordBatch(names: names, columns: columns)
    }

    private static func decodeColumn(
        _ cursor: inout ByteCursor, type: DataType, count: Int, hasValidity: Bool, name: String,
        categories interner: CategoryInterner?
    ) throws -> Column {
        let validity = hasValidity ? try Bitmap(bytes: Array(try cursor.take((count + 7) / 8)), count: count) : nil
        let values = Array(try cursor.take(Int(clamping: try cursor.integer(UInt64.self))))
        var offsets: [Int32]?
        if type == .utf8 { offsets = try cursor.int32s(count + 1) }
        var categories: Categories?
        if type == .categorical {
            let count = Int(try cursor.integer(UInt32.self))
            let ends = try cursor.int32s(count + 1)
            let text = Array(try cursor.take(Int(clamping: try cursor.integer(UInt64.self))))
            let strings = try Column(type: .utf8, count: count, validity: nil, values: text, offsets: ends)
            let values = (0..<count).map { strings.text($0) }
            categories = interner?.intern(values, column: name) ?? Categories(values)
        }
        return try Column(
            type: type, count: count, validity: validity, values: values, offsets: offsets, categories: categories)
    }
}

/// Keeps one `Categories` instance per column and content while pieces are decoded, so
/// that batches of one table stay comparable by identity (no re-coding when they meet).
public final class CategoryInterner: @unchecked Sendable {  // used by one decoding thread at a time
    private var seen: [String: [Categories]] = [:]

    /// An empty interner.
    public init() {}

    /// The instance already seen for `column` with these `values`, else a new one.
    func intern(_ values: [String], column: String) -> Categories {
        if let known = seen[column]?.first(where: { $0.values == values }) { return known }
        let categories = Categories(values)
        seen[column, default: []].append(categories)
        return categories
    }
}

/// Appends little-endian integers and byte strings.
struct ByteSink {
    private(set) var bytes: [UInt8] = []

    /// A sink whose buffer holds `capacity` bytes before it grows.
    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    mutating func integers(_ values: [Int32]) {
        values.withUnsafeBytes { raw in
            // Little-endian machines only (as the rest of the format): the buffer as it is.
            bytes.append(contentsOf: raw)
        }
    }

    mutating func text(_ value: String) {
        integer(UInt32(value.utf8.count))
        append(utf8: value)
    }

    /// The UTF-8 bytes of `value`, without a length.
    mutating func append(utf8 value: String) { bytes.append(contentsOf: value.utf8) }
}

/// Reads what `ByteSink` wrote, checking every length against the bytes there are.
struct ByteCursor {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }

    mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else {
            throw problem("\(count) bytes asked at offset \(position) of \(bytes.count)")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let raw = try take(MemoryLayout<T>.size)
        return T(littleEndian: raw.loadUnaligned(as: T.self))
    }

    mutating func int32s(_ count: Int) throws -> [Int32] {
        let raw = try take(count.multipliedReportingOverflow(by: 4).overflow ? -1 : count * 4)
        return [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            initialized = count
        }
    }

    mutating func text() throws -> String {
        let raw = try take(Int(try integer(UInt32.self)))
        guard let text = String(validating: raw, as: UTF8.self) else { throw problem("a name is not UTF-8") }
        return text
    }

    func problem(_ reason: String) -> DataError { DataError.malformedBatch("encoded batch: \(reason)") }
}
