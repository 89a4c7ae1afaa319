/// The parts of Parquet's footer (`FileMetaData`) and page headers that Flock reads and
/// writes, mapped from and to Thrift structs. Field ids follow parquet-format's
/// `parquet.thrift`.
enum ParquetPhysicalType: Int64, Sendable {
    case boolean = 0
    case int32 = 1
    case int64 = 2
    case int96 = 3
    case float = 4
    case double = 5
    case byteArray = 6
    case fixedLengthByteArray = 7
}

/// Page and column encodings.
enum ParquetEncoding: Int64, Sendable {
    case plain = 0
    case plainDictionary = 2
    case rle = 3
    case bitPacked = 4
    case deltaBinaryPacked = 5
    case deltaLengthByteArray = 6
    case deltaByteArray = 7
    case rleDictionary = 8
    case byteStreamSplit = 9
}

/// Compression codecs by their footer number.
enum ParquetCodec: Int64, Sendable, CaseIterable {
    case uncompressed = 0
    case snappy = 1
    case gzip = 2
    case lzo = 3
    case brotli = 4
    case lz4 = 5
    case zstd = 6
    case lz4Raw = 7
}

/// One column of the (flat) schema: a leaf with its physical type and logical meaning.
struct ParquetSchemaElement: Sendable {
    var name: String
    var physicalType: ParquetPhysicalType?
    var repetition: Int64?  // 0 required, 1 optional, 2 repeated
    var childCount: Int
    var convertedType: Int64?
    var logicalType: ThriftStruct?
    var typeLength: Int64?

    init(_ value: ThriftStruct) throws {
        guard let name = value.string(4) else { throw value.missing(4, "name") }
        self.name = name
        physicalType = try value.int(1).map { raw in
            guard let type = ParquetPhysicalType(rawValue: raw) else {
                throw DataError.malformedParquet("column \(name) has unknown physical type \(raw)")
            }
            return type
        }
        typeLength = value.int(2)
        repetition = value.int(3)
        childCount = Int(value.int(5) ?? 0)
        convertedType = value.int(6)
        logicalType = value.structure(10, "LogicalType")
    }
}

/// min/max/null count of a column chunk, as plain-encoded bytes.
struct ParquetStatistics: Sendable {
    var minimum: [UInt8]?
    var maximum: [UInt8]?
    var nullCount: Int64?
    /// Whether min and max came from the deprecated fields, whose order for byte arrays
    /// was signed bytes in old writers (not to be trusted for text).
    var isLegacy = false

    init(minimum: [UInt8]?, maximum: [UInt8]?, nullCount: Int64?) {
        self.minimum = minimum
        self.maximum = maximum
        self.nullCount = nullCount
    }

    init(_ value: ThriftStruct) {
        minimum = value.binary(6) ?? value.binary(2)
        maximum = value.binary(5) ?? value.binary(1)
        isLegacy = value.binary(6) == nil || value.binary(5) == nil
        nullCount = value.int(3)
    }

    func write(_ id: Int16, to writer: inout ThriftWriter) {
        writer.begin(id)
        if let nullCount { writer.int(3, nullCount) }
        if let maximum { writer.binary(5, maximum) }
        if let minimum { writer.binary(6, minimum) }
        writer.end()
    }
}

/// Where one column's pages of one row group are and how they are coded.
struct ParquetColumnChunk: Sendable {
    var physicalType: ParquetPhysicalType
    var encodings: [ParquetEncoding]
    var path: [String]
    var codec: ParquetCodec
    var valueCount: Int64
    var uncompressedSize: Int64
    var compressedSize: Int64
    var dataPageOffset: Int64
    var dictionaryPageOffset: Int64?
    var statistics: ParquetStatistics?

    /// The chunk with its page offsets moved `distance` bytes further into the file.
    func moved(by distance: Int64) -> ParquetColumnChunk {
        var moved = self
        moved.dataPageOffset += distance
        moved.dictionaryPageOffset = dictionaryPageOffset.map { $0 + distance }
        return moved
    }

    init(
        physicalType: ParquetPhysicalType, encodings: [ParquetEncoding], path: [String], codec: ParquetCodec,
        valueCount: Int64, uncompressedSize: Int64, compressedSize: Int64, dataPageOffset: Int64,
        dictionaryPageOffset: Int64?, statistics: ParquetStatistics?
    ) {
        self.physicalType = physicalType
        self.encodings = encodings
        self.path = path
        self.codec = codec
        self.valueCount = valueCount
        self.uncompressedSize = uncompressedSize
        self.compressedSize = compressedSize
        self.dataPageOffset = dataPageOffset
        self.dictionaryPageOffset = dictionaryPageOffset
        self.statistics = statistics
    }

    init(_ chunk: ThriftStruct) throws {
        guard let meta = chunk.structure(3, "ColumnMetaData") else {
            throw DataError.malformedParquet("a column chunk has no metadata (external column files are not supported)")
        }
        guard let type = ParquetPhysicalType(rawValue: try meta.requiredInt(1, "type")) else {
            throw DataError.malformedParquet("a column chunk has an unknown physical type")
        }
        physicalType = type
        encodings = (meta.list(2) ?? []).compactMap {
            if case .int(let raw) = $0 { return ParquetEncoding(rawValue: raw) }
            return nil
        }
        path = (meta.list(3) ?? []).compactMap {
            if case .binary(let raw) = $0 { return String(decoding: raw, as: UTF8.self) }
            return nil
        }
        let rawCodec = try meta.requiredInt(4, "codec")
        guard let codec = ParquetCodec(rawValue: rawCodec) else {
            throw DataError.malformedParquet("column \(path.joined(separator: ".")) has unknown codec \(rawCodec)")
        }
        self.codec = codec
        valueCount = try meta.requiredInt(5, "num_values")
        uncompressedSize = try meta.requiredInt(6, "total_uncompressed_size")
        compressedSize = try meta.requiredInt(7, "total_compressed_size")
        dataPageOffset = try meta.requiredInt(9, "data_page_offset")
        dictionaryPageOffset = meta.int(11)
        statistics = meta.structure(12, "Statistics").map(ParquetStatistics.init)
    }

    func write(to writer: inout ThriftWriter) {
        writer.begin()
        writer.int(2, dictionaryPageOffset ?? dataPageOffset)  // file_offset
        writer.begin(3)
        writer.int(1, physicalType.rawValue, .i32)
        writer.list(2, of: .i32, count: encodings.count)
        for encoding in encodings { writer.rawZigzag(encoding.rawValue) }
        writer.list(3, of: .binary, count: path.count)
        for part in path { writer.rawBinary(Array(part.utf8)) }
        writer.int(4, codec.rawValue, .i32)
        writer.int(5, valueCount)
        writer.int(6, uncompressedSize)
        writer.int(7, compressedSize)
        writer.int(9, dataPageOffset)
        if let dictionaryPageOffset { writer.int(11, dictionaryPageOffset) }
        statistics?.write(12, to: &writer)
        writer.end()
        writer.end()
    }
}

/// A row group: its row count and one chunk per column.
struct ParquetRowGroup: Sendable {
    var rowCount: Int64
    var columns: [ParquetColumnChunk]
}

/// The footer: schema, row groups, total rows.
struct ParquetFileMetadata: Sendable {
    var schema: [ParquetSchemaElement]
    var rowCount: Int64
    var rowGroups: [ParquetRowGroup]

    init(_ bytes: [UInt8]) throws {
        var reader = ThriftReader(bytes)
        let value = try reader.readStruct("FileMetaData")
        schema = try value.structs(2, "SchemaElement").map(ParquetSchemaElement.init)
        rowCount = try value.requiredInt(3, "num_rows")
        rowGroups = try value.structs(4, "RowGroup").map { group in
            ParquetRowGroup(
                rowCount: try group.requiredInt(3, "num_rows"),
                columns: try group.structs(1, "ColumnChunk").map(ParquetColumnChunk.init))
        }
    }
}

/// A page's header: its kind, sizes and the header of that kind.
struct ParquetPageHeader: Sendable {
    enum Kind: Int64 {
        case data = 0
        case index = 1
        case dictionary = 2
        case dataV2 = 3
    }
    var kind: Kind
    var uncompressedSize: Int
    var compressedSize: Int
    var valueCount: Int
    var encoding: ParquetEncoding
    /// Version 2 data pages: level byte lengths (stored uncompressed) and compression flag.
    var definitionLevelsLength = 0
    var repetitionLevelsLength = 0
    var isCompressed = true

    init(
        kind: Kind, uncompressedSize: Int, compressedSize: Int, valueCount: Int, encoding: ParquetEncoding
    ) {
        self.kind = kind
        self.uncompressedSize = uncompressedSize
        self.compressedSize = compressedSize
        self.valueCount = valueCount
        self.encoding = encoding
    }

    /// The header at `reader`'s position.
    init(_ reader: inout ThriftReader) throws {
        let value = try reader.readStruct("PageHeader")
        guard let kind = Kind(rawValue: try value.requiredInt(1, "type")) else {
            throw DataError.malformedParquet("a page has an unknown type")
        }
        self.kind = kind
        let uncompressed = try value.requiredInt(2, "uncompressed_page_size")
        let compressed = try value.requiredInt(3, "compressed_page_size")
        guard (0...Int64(Int32.max)).contains(uncompressed), (0...Int64(Int32.max)).contains(compressed) else {
            throw DataError.malformedParquet("a page claims \(uncompressed) / \(compressed) bytes")
        }
        uncompressedSize = Int(uncompressed)
        compressedSize = Int(compressed)
        let inner: ThriftStruct?
        switch kind {
        case .data: inner = value.structure(5, "DataPageHeader")
        case .dictionary: inner = value.structure(7, "DictionaryPageHeader")
        case .dataV2: inner = value.structure(8, "DataPageHeaderV2")
        case .index: inner = nil
        }
        guard let inner else {
            valueCount = 0
            encoding = .plain
            return
        }
        let count = try inner.requiredInt(1, "num_values")
        guard count >= 0 && count <= Int64(Int32.max) else {
            throw DataError.malformedParquet("a page claims \(count) values")
        }
        valueCount = Int(count)
        let rawEncoding = try inner.requiredInt(kind == .dataV2 ? 4 : 2, "encoding")
        guard let encoding = ParquetEncoding(rawValue: rawEncoding) else {
            throw DataError.malformedParquet("a page uses unknown encoding \(rawEncoding)")
        }
        self.encoding = encoding
        if kind == .dataV2 {
            definitionLevelsLength = Int(clamping: try inner.requiredInt(5, "definition_levels_byte_length"))
            repetitionLevelsLength = Int(clamping: try inner.requiredInt(6, "repetition_levels_byte_length"))
            isCompressed = inner.bool(7) ?? true
        }
    }

    /// The header as Thrift bytes (data page v1 or dictionary page).
    func encoded() -> [UInt8] {
        var writer = ThriftWriter()
        writer.int(1, kind.rawValue, .i32)
        writer.int(2, Int64(uncompressedSize), .i32)
        writer.int(3, Int64(compressedSize), .i32)
        writer.begin(kind == .dictionary ? 7 : 5)
        writer.int(1, Int64(valueCount), .i32)
        writer.int(2, encoding.rawValue, .i32)
        if kind == .data {
            writer.int(3, ParquetEncoding.rle.rawValue, .i32)
            writer.int(4, ParquetEncoding.rle.rawValue, .i32)
        }
        writer.end()
        writer.bytes.append(0)
        return writer.bytes
    }
}
