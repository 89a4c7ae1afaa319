import Foundation

/// Writes batches as a Parquet file that pyarrow, Polars, DuckDB and Spark read: row groups
/// of `rowGroupRows` rows, every column optional with definition levels, text dictionary
/// encoded when it repeats (categorical columns reuse their categories), numbers PLAIN,
/// min/max/null-count statistics per chunk, one data page (v1) per chunk, compressed with
/// the chosen codec. The file is written beside its path and renamed into place.
public enum ParquetWriter {
    /// The page compression.
    public enum Compression: String, Sendable, CaseIterable {
        case none, snappy, gzip, zstd

        var codec: ParquetCodec {
            switch self {
            case .none: .uncompressed
            case .snappy: .snappy
            case .gzip: .gzip
            case .zstd: .zstd
            }
        }
    }

    /// `batches` (same columns) written to `path` as one Parquet file.
    /// - Throws: `DataError.malformedBatch` for no batches or differing columns, a codec's
    ///   error (a missing zlib or libzstd), or the file system's; nothing is left at `path` then.
    public static func write(
        _ batches: [RecordBatch], to path: String, compression: Compression = .snappy, rowGroupRows: Int = 1 << 20
    ) throws {
        guard let first = batches.first else { throw DataError.malformedBatch("nothing to write to \(path)") }
        let schema = Schema(of: first)
        let whole = try RecordBatch.concatenate(batches, schema: schema)
        let size = Swift.max(1, rowGroupRows)
        try AtomicFile.write(to: path) { handle in
            var offset = 4
            try handle.write(contentsOf: Array("PAR1".utf8))
            var groups: [ParquetRowGroup] = []
            for start in stride(from: 0, to: Swift.max(whole.rowCount, 1), by: size) {
                let rows = whole.slice(start..<Swift.min(start + size, whole.rowCount))
                // The group's chunks encoded and compressed in parallel, as if each started
                // the file, then written in order with their page offsets moved to where they land.
                let encoded = try Parallel.map(rows.columns.count) { j in
                    try ParquetChunkWriter(column: rows.columns[j], name: rows.names[j], codec: compression.codec)
                        .encode(at: 0)
                }
                var chunks: [ParquetColumnChunk] = []
                for (bytes, chunk) in encoded {
                    try handle.write(contentsOf: bytes)
                    chunks.append(chunk.moved(by: Int64(offset)))
                    offset += bytes.count
                }
                groups.append(ParquetRowGroup(rowCount: Int64(rows.rowCount), columns: chunks))
            }
            let footer = footer(schema: schema, rowCount: whole.rowCount, groups: groups)
            try handle.write(contentsOf: footer + ParquetEncodings.littleEndian(UInt32(footer.count)))
            try handle.write(contentsOf: Array("PAR1".utf8))
        }
    }

    /// The FileMetaData struct.
    private static func footer(schema: Schema, rowCount: Int, groups: [ParquetRowGroup]) -> [UInt8] {
        var writer = ThriftWriter()
        writer.int(1, 1, .i32)
        writer.list(2, of: .structure, count: schema.fields.count + 1)
        writer.begin()
        writer.string(4, "schema")
        writer.int(5, Int64(schema.fields.count), .i32)
        writer.end()
        for field in schema.fields { schemaElement(field, to: &writer) }
        writer.int(3, Int64(rowCount))
        writer.list(4, of: .structure, count: groups.count)
        for group in groups {
            writer.begin()
            writer.list(1, of: .structure, count: group.columns.count)
            for chunk in group.columns { chunk.write(to: &writer) }
            writer.int(2, group.columns.reduce(0) { $0 + $1.uncompressedSize })
            writer.int(3, group.rowCount)
            writer.end()
        }
        writer.string(6, "flock")
        // Column orders (TYPE_DEFINED_ORDER for each column): without them readers ignore
        // the min/max of text columns.
        writer.list(7, of: .structure, count: schema.fields.count)
        for _ in schema.fields {
            writer.begin()
            writer.begin(1)
            writer.end()
            writer.end()
        }
        writer.bytes.append(0)
        return writer.bytes
    }

    private static func schemaElement(_ field: Schema.Field, to writer: inout ThriftWriter) {
        writer.begin()
        writer.int(1, ParquetChunkWriter.physicalType(of: field.type).rawValue, .i32)
        writer.int(3, 1, .i32)  // OPTIONAL
        writer.string(4, field.name)
        let converted: Int64? =
            switch field.type {
            case .utf8, .categorical: 0
            case .date32: 6
            case .timestampMicroseconds: 10
            case .int8: 15
            case .int16: 16
            default: nil
            }
        if let converted { writer.int(6, converted, .i32) }
        switch field.type {
        case .utf8, .categorical:
            writer.begin(10)
            writer.begin(1)
            writer.end()
            writer.end()
        case .date32:
            writer.begin(10)
            writer.begin(6)
            writer.end()
            writer.end()
        case .timestampMicroseconds:
            writer.begin(10)
            // Not adjusted to UTC: Flock's timestamps carry no time zone, like most data's.
            writer.begin(8)
            writer.bool(1, false)
            writer.begin(2)
            writer.begin(2)
            writer.end()
            writer.end()
            writer.end()
            writer.end()
        case .int8, .int16:
            writer.begin(10)
            writer.begin(10)
            writer.field(1, .byte)
            writer.bytes.append(field.type == .int8 ? 8 : 16)
            writer.bool(2, true)
            writer.end()
            writer.end()
        default: break
        }
        writer.end()
    }
}
