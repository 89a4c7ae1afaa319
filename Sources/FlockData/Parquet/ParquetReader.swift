import Foundation

/// Reads Parquet files with Flock's own code: the footer (Thrift compact), flat schemas,
/// data pages v1 and v2, dictionary pages, PLAIN / RLE / bit-packed / dictionary / delta /
/// byte-stream-split encodings, optional (null) columns, and uncompressed, Snappy, GZIP
/// and ZSTD pages. Each row group becomes one batch. Text whose pages are all dictionary
/// encoded reads as a categorical column (the dictionary is its categories, no string is
/// copied per row); if any row group fell back to plain pages, the column is utf8 throughout.
///
/// Everything in the file is untrusted: sizes and counts are checked against the bytes
/// there are, and a truncated or corrupt file is a `DataError.malformedParquet` naming the
/// file and the problem, never a crash or a huge allocation.
public enum ParquetReader {
    /// The row groups of the file at `path` as batches, with only `columns` (all when nil).
    public static func read(path: String, columns: [String]? = nil) throws -> [RecordBatch] {
        try read(TableFiles.mapped(path), source: path) { all in columns ?? all }
    }

    /// The row groups of Parquet `bytes`; `source` names the file in errors.
    public static func read(_ bytes: [UInt8], source: String = "Parquet", columns: [String]? = nil) throws
        -> [RecordBatch]
    {
        try read(Data(bytes), source: source) { all in columns ?? all }
    }

    /// The row groups of the file at `path` with the columns whose lowercased names are in
    /// `names` (all when nil; the first column when none is, so row counts survive).
    static func read(path: String, keeping names: Set<String>?) throws -> [RecordBatch] {
        try read(TableFiles.mapped(path), source: path) { all in
            guard let names else { return all }
            let kept = all.filter { names.contains($0.lowercased()) }
            return kept.isEmpty ? Array(all.prefix(1)) : kept
        }
    }

    /// The row groups of a file's bytes with the columns `choose` picks from all of its
    /// column names; errors name `source`.
    private static func read(_ data: Data, source: String, choose: ([String]) -> [String]) throws -> [RecordBatch] {
        do {
            let file = try ParquetFile(data)
            return try file.batches(columns: choose(file.leaves.map(\.name)))
        } catch DataError.malformedParquet(let reason) {
            throw DataError.malformedParquet("\(source): \(reason)")
        }
    }
}

/// A Parquet file's bytes (often memory-mapped: chunk readers copy only their ranges)
/// and footer.
struct ParquetFile {
    let bytes: Data
    let metadata: ParquetFileMetadata
    /// The leaf columns, in schema order.
    let leaves: [ParquetSchemaElement]
    private let footerStart: Int

    private static let magic: [UInt8] = Array("PAR1".utf8)

    init(_ data: Data) throws {
        // Data slices keep their parent's indices; start from 0.
        let bytes = data.startIndex == 0 ? data : Data(data)
        guard bytes.count >= 12, Array(bytes.prefix(4)) == Self.magic, Array(bytes.suffix(4)) == Self.magic else {
            throw DataError.malformedParquet("not a Parquet file (no PAR1 at both ends, \(bytes.count) bytes)")
        }
        var cursor = ParquetEncodings.Cursor(Array(bytes.suffix(8)))
        let length = Int(try cursor.littleEndian32())
        guard length > 0, length <= bytes.count - 12 else {
            throw DataError.malformedParquet("a footer of \(length) bytes in a file of \(bytes.count)")
        }
        footerStart = bytes.count - 8 - length
        self.bytes = bytes
        metadata = try ParquetFileMetadata(Array(bytes[footerStart..<bytes.count - 8]))
        guard let root = metadata.schema.first else { throw DataError.malformedParquet("the schema is empty") }
        leaves = Array(metadata.schema.dropFirst())
        guard root.childCount == leaves.count else {
            throw DataError.malformedParquet(
                "the schema root has \(root.childCount) children but \(leaves.count) columns follow (nested columns are not supported)"
            )
        }
    }

    /// The file at `path`, mapped, with its footer read.
    /// - Throws: `DataError.unreadableFile`, or `.malformedParquet` naming the file.
    static func opening(_ path: String) throws -> ParquetFile {
        do {
            return try ParquetFile(TableFiles.mapped(path))
        } catch DataError.malformedParquet(let reason) {
            throw DataError.malformedParquet("\(path): \(reason)")
        }
    }

    /// The row groups (those listed, all when nil) as batches of the `columns` named.
    func batches(columns names: [String], rowGroups: [Int]? = nil) throws -> [RecordBatch] {
        let wanted = try names.map { name in
            guard let index = leaves.firstIndex(where: { $0.name == name }) else {
                throw DataError.unknownColumn(name, available: leaves.map(\.name))
            }
            return index
        }
        let types = try wanted.map { try ParquetColumnType(leaves[$0]) }
        for group in metadata.rowGroups {
            guard group.columns.count == leaves.count else {
                throw DataError.malformedParquet(
                    "a row group has \(group.columns.count) columns, the schema \(leaves.count)")
            }
            guard group.rowCount >= 0, group.rowCount <= Int64(bytes.count) * 8 + 1 else {
                throw DataError.malformedParquet("a row group claims \(group.rowCount) rows")
            }
        }
        let groups = rowGroups ?? Array(metadata.rowGroups.indices)
        // Every (row group, column) chunk decodes on its own, in parallel.
        let chunks = try Parallel.map(groups.count * wanted.count) { task in
            let (group, column) = (metadata.rowGroups[groups[task / wanted.count]], task % wanted.count)
            return try ParquetChunkReader(
                file: self, chunk: group.columns[wanted[column]], type: types[column], rows: Int(group.rowCount)
            ).read()
        }
        let batches = try groups.indices.map { group in
            try RecordBatch(
                names: wanted.map { leaves[$0].name },
                columns: Array(chunks[group * wanted.count..<(group + 1) * wanted.count]))
        }
        return TableFiles.harmonizingTypes(batches)
    }

    /// The byte range of a column chunk, checked to lie between the header magic and the footer.
    func range(of chunk: ParquetColumnChunk) throws -> Range<Int> {
        var start = chunk.dataPageOffset
        if let dictionary = chunk.dictionaryPageOffset, dictionary > 0, dictionary < start { start = dictionary }
        let end = start + chunk.compressedSize
        guard start >= 4, chunk.compressedSize >= 0, end <= Int64(footerStart) else {
            throw DataError.malformedParquet(
                "column \(chunk.path.joined(separator: ".")) claims bytes \(start)..<\(end) outside the data")
        }
        return Int(start)..<Int(end)
    }
}
