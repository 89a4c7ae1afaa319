import Foundation

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
        let parts = BatchParts(batch)
        return filled(parts.byteCount) { write(parts, into: &$0) }
    }

    /// The bytes of `pieces`, each readable alone with `decode(piece:of:)`.
    public static func encode(pieces: [RecordBatch]) -> [UInt8] {
        let parts = pieces.map(BatchParts.init)
        return filled(size(of: parts)) { write(pieces: parts, into: &$0) }
    }

    /// `count` bytes that `fill` writes.
    private static func filled(_ count: Int, _ fill: (inout ByteSink) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var sink = ByteSink(UnsafeMutableRawBufferPointer(buffer))
            fill(&sink)
            initialized = sink.finished()
        }
    }

    /// How many bytes `write(pieces:into:)` makes of `pieces`.
    static func size(of pieces: [BatchParts]) -> Int {
        pieces.reduce(8 + 8 * pieces.count) { $0 + $1.byteCount }
    }

    /// Writes what `encode(pieces:)` makes of pieces to `out`, each piece from its parts.
    static func write(pieces: [BatchParts], into out: inout ByteSink) {
        out.append(piecesMagic)
        out.integer(UInt32(pieces.count))
        var end = 0
        for piece in pieces {
            end += piece.byteCount
            out.integer(UInt64(end))
        }
        for piece in pieces { write(piece, into: &out) }
    }

    /// Writes what `encode(_:)` makes of a batch to `out`, from its parts.
    static func write(_ batch: BatchParts, into out: inout ByteSink) { batch.write(into: &out, magic: batchMagic) }

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
        let encoded = try blocks(of: bytes).filter { wanted?.contains($0.name) ?? true }
        return try RecordBatch(
            names: encoded.map(\.name), columns: try encoded.map { try decodeColumn($0, categories: categories) })
    }

    /// The names of the columns of the batch in `bytes`, in order.
    /// - Throws: `DataError.malformedBatch` when the bytes are not a batch.
    public static func columnNames(_ bytes: UnsafeRawBufferPointer) throws -> [String] {
        try blocks(of: bytes).map(\.name)
    }

    /// The batches in `buffers` (each from `encode(_:)`, all with the same columns) as one
    /// batch. A column of fixed-width values without nulls (whose batches share their
    /// categories, when categorical) is copied once, straight into its place in the whole,
    /// instead of decoded per batch and then concatenated; such columns fill in parallel.
    /// - Throws: `DataError.malformedBatch` or `.malformedColumn` naming what is wrong,
    ///   also when the batches' columns differ.
    public static func decode(concatenating buffers: [UnsafeRawBufferPointer], categories: CategoryInterner) throws
        -> RecordBatch
    {
        let batches = try buffers.map(blocks)
        guard let first = batches.first else { throw DataError.malformedBatch("no batches to decode") }
        for batch in batches.dropFirst()
        where batch.map(\.name) != first.map(\.name) || batch.map(\.type) != first.map(\.type) {
            throw DataError.malformedBatch("batches to put together have different columns")
        }
        // Categories and the columns that cannot be copied whole are decoded here (a column
        // that needs re-coding is rare); the copies of the rest run in parallel.
        var columns = [Column?](repeating: nil, count: first.count)
        var copies: [(index: Int, parts: [UnsafeRawBufferPointer], categories: Categories?)] = []
        for j in first.indices {
            let parts = batches.map { $0[j] }
            if let copy = try valueBlocks(parts, categories: categories) {
                copies.append((j, copy.values, copy.categories))
            } else {
                columns[j] = try Column.concatenate(try parts.map { try decodeColumn($0, categories: categories) })
            }
        }
        let copied = try Parallel.map(copies.count) { c in
            let (index, parts, categories) = copies[c]
            let total = parts.reduce(0) { $0 + $1.count }
            let values = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                var offset = 0
                for part in parts where part.count > 0 {
                    let target = UnsafeMutableBufferPointer(rebasing: buffer[offset..<offset + part.count])
                    UnsafeMutableRawBufferPointer(target).copyMemory(from: part)
                    offset += part.count
                }
                initialized = total
            }
            let rows = batches.reduce(0) { $0 + $1[index].rows }
            return try Column(
                type: first[index].type, count: rows, validity: nil, values: values, categories: categories)
        }
        for (copy, column) in zip(copies, copied) { columns[copy.index] = column }
        // Invariant: every index was decoded above or copied.
        return try RecordBatch(names: first.map(\.name), columns: columns.map { $0! })
    }

    /// One column of an encoded batch: its name, type, rows and block.
    private struct EncodedColumn {
        let name: String
        let type: DataType
        let rows: Int
        let hasValidity: Bool
        let block: UnsafeRawBufferPointer
    }

    /// The columns of the batch in `bytes`, checked as far as the block lengths.
    private static func blocks(of bytes: UnsafeRawBufferPointer) throws -> [EncodedColumn] {
        var cursor = ByteCursor(bytes)
        guard try cursor.take(4).elementsEqual(batchMagic) else { throw cursor.problem("no batch header") }
        let columnCount = Int(try cursor.integer(UInt32.self))
        let rows = try cursor.integer(UInt64.self)
        guard rows <= UInt64(Int32.max) else { throw cursor.problem("\(rows) rows are more than a batch holds") }
        var columns: [EncodedColumn] = []
        for _ in 0..<columnCount {
            let name = try cursor.text()
            let typeIndex = Int(try cursor.integer(UInt8.self))
            guard typeIndex < DataType.allCases.count else { throw cursor.problem("unknown type \(typeIndex)") }
            let flags = try cursor.integer(UInt8.self)
            let length = Int(clamping: try cursor.integer(UInt64.self))
            columns.append(
                EncodedColumn(
                    name: name, type: DataType.allCases[typeIndex], rows: Int(rows), hasValidity: flags & 1 == 1,
                    block: try cursor.take(length)))
        }
        guard cursor.isAtEnd else { throw cursor.problem("trailing bytes after the last column") }
        return columns
    }

    /// The value bytes of `parts` (one column of several batches) when they can be copied
    /// one after another as the whole column's: fixed-width, no nulls, one `Categories`.
    private static func valueBlocks(_ parts: [EncodedColumn], categories interner: CategoryInterner) throws
        -> (values: [UnsafeRawBufferPointer], categories: Categories?)?
    {
        guard let type = parts.first?.type, type != .bool, type.byteWidth != nil,
            !parts.contains(where: \.hasValidity)
        else { return nil }
        var values: [UnsafeRawBufferPointer] = []
        var shared: Categories?
        for part in parts {
            var cursor = ByteCursor(part.block)
            let block = try cursor.take(Int(clamping: try cursor.integer(UInt64.self)))
            let expected = part.rows * type.byteWidth!  // Invariant: checked above.
            guard block.count == expected else {
                throw DataError.malformedColumn(
                    "\(part.rows) \(type) values need \(expected) bytes, got \(block.count)")
            }
            values.append(block)
            if type == .categorical {
                let categories = try decodeCategories(&cursor, name: part.name, categories: interner)
                guard shared == nil || shared === categories else { return nil }
                shared = categories
            }
            guard cursor.isAtEnd else { throw cursor.problem("column \"\(part.name)\" has trailing bytes") }
        }
        return (values, shared)
    }

    private static func decodeColumn(_ encoded: EncodedColumn, categories interner: CategoryInterner?) throws
        -> Column
    {
        let (type, count) = (encoded.type, encoded.rows)
        var cursor = ByteCursor(encoded.block)
        let validity =
            encoded.hasValidity ? try Bitmap(bytes: Array(try cursor.take((count + 7) / 8)), count: count) : nil
        let values = Array(try cursor.take(Int(clamping: try cursor.integer(UInt64.self))))
        var offsets: [Int32]?
        if type == .utf8 { offsets = try cursor.int32s(count + 1) }
        var categories: Categories?
        if type == .categorical {
            categories = try decodeCategories(&cursor, name: encoded.name, categories: interner)
        }
        guard cursor.isAtEnd else { throw cursor.problem("column \"\(encoded.name)\" has trailing bytes") }
        return try Column(
            type: type, count: count, validity: validity, values: values, offsets: offsets, categories: categories)
    }

    /// A categorical column's categories, read at `cursor`.
    private static func decodeCategories(
        _ cursor: inout ByteCursor, name: String, categories interner: CategoryInterner?
    )
        throws -> Categories
    {
        let count = Int(try cursor.integer(UInt32.self))
        let rawEnds = try cursor.take(count.multipliedReportingOverflow(by: 4).overflow ? -1 : 4 * (count + 1))
        let rawText = try cursor.take(Int(clamping: try cursor.integer(UInt64.self)))
        func strings() throws -> [String] {
            var endsCursor = ByteCursor(rawEnds)
            let ends = try endsCursor.int32s(count + 1)
            let text = try Column(type: .utf8, count: count, validity: nil, values: Array(rawText), offsets: ends)
            return (0..<count).map { text.text($0) }
        }
        guard let interner else { return Categories(try strings()) }
        return try interner.intern(encoded: rawEnds, rawText, column: name, strings)
    }
}

/// Keeps one `Categories` instance per column and content while pieces are decoded, so
/// that batches of one table stay comparable by identity (no re-coding when they meet).
public final class CategoryInterner: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var seen: [String: [Categories]] = [:]
    private var seenEncoded: [String: [(ends: [UInt8], text: [UInt8], categories: Categories)]] = [:]

    /// An empty interner.
    public init() {}

    /// The instance already seen for `column` with these `values`, else a new one.
    func intern(_ values: [String], column: String) -> Categories {
        lock.withLock { internUnlocked(values, column: column) }
    }

    private func internUnlocked(_ values: [String], column: String) -> Categories {
        if let known = seen[column]?.first(where: { $0.values == values }) { return known }
        let categories = Categories(values)
        seen[column, default: []].append(categories)
        return categories
    }

    /// The instance for `column`'s categories encoded as `ends` and `text` (BatchCoding's
    /// form): found by comparing the bytes when seen before, which spares making the
    /// strings (`strings`) again for every piece of a shuffle.
    func intern(
        encoded ends: UnsafeRawBufferPointer, _ text: UnsafeRawBufferPointer, column: String,
        _ strings: () throws -> [String]
    ) rethrows -> Categories {
        func same(_ kept: [UInt8], _ raw: UnsafeRawBufferPointer) -> Bool {
            guard kept.count == raw.count, let base = raw.baseAddress else { return kept.count == raw.count }
            return kept.withUnsafeBytes { memcmp($0.baseAddress!, base, raw.count) == 0 }  // Invariant: count > 0.
        }
        func known() -> Categories? {
            seenEncoded[column]?.first(where: { same($0.ends, ends) && same($0.text, text) })?.categories
        }
        if let categories = lock.withLock(known) { return categories }
        let values = try strings()  // outside the lock: the slow part, for a dictionary not seen
        return lock.withLock {
            if let categories = known() { return categories }
            let categories = internUnlocked(values, column: column)
            seenEncoded[column, default: []].append((Array(ends), Array(text), categories))
            return categories
        }
    }
}

/// Appends little-endian integers and byte strings.
struct ByteSink {
    private let target: UnsafeMutableRawBufferPointer
    private var position = 0

    /// A sink that fills `target`, which the caller sized for what is written.
    init(_ target: UnsafeMutableRawBufferPointer) { self.target = target }

    /// How many bytes were written, checked to be all of `target`.
    func finished() -> Int {
        precondition(position == target.count, "wrote \(position) of the \(target.count) bytes sized")
        return position
    }

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { append($0) }
    }

    mutating func append(_ raw: [UInt8]) { raw.withUnsafeBytes { append($0) } }

    mutating func append(_ raw: UnsafeRawBufferPointer) {
        precondition(raw.count <= target.count - position, "more bytes written than sized")
        guard let base = raw.baseAddress, raw.count > 0 else { return }
        (target.baseAddress! + position).copyMemory(from: base, byteCount: raw.count)  // Invariant: room checked.
        position += raw.count
    }

    /// The `width`-byte values of `values` at `rows`, in that order (rows must be in range).
    mutating func gather(_ values: [UInt8], rows: [Int32], width: Int) {
        let count = rows.count * width
        precondition(count <= target.count - position, "more bytes written than sized")
        guard count > 0 else { return }
        let out = target.baseAddress! + position  // Invariant: room checked, and some.
        func take<T: FixedWidthInteger>(_: T.Type) {
            values.withUnsafeBytes { raw in
                let source = raw.bindMemory(to: T.self)
                for (i, row) in rows.enumerated() {
                    out.storeBytes(of: source[Int(row)], toByteOffset: i * width, as: T.self)
                }
            }
        }
        switch width {
        case 1: take(UInt8.self)
        case 2: take(UInt16.self)
        case 4: take(UInt32.self)
        default: take(UInt64.self)
        }
        position += count
    }

    mutating func integers(_ values: [Int32]) {
        // Little-endian machines only (as the rest of the format): the buffer as it is.
        values.withUnsafeBytes { append($0) }
    }

    mutating func text(_ value: String) {
        integer(UInt32(value.utf8.count))
        append(utf8: value)
    }

    /// The UTF-8 bytes of `value`, without a length.
    mutating func append(utf8 value: String) {
        var value = value
        value.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }
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
