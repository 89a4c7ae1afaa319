/// Decodes one column chunk (the pages of one column in one row group) into a column:
/// definition levels give the nulls, values arrive dense (non-null only) and are spread
/// into place at the end.
struct ParquetChunkReader {
    let file: ParquetFile
    let chunk: ParquetColumnChunk
    let type: ParquetColumnType
    let rows: Int

    /// Non-null values decoded so far, in the physical type's dense form.
    private var fixed: [UInt8] = []
    private var strings = ParquetEncodings.Strings()
    private var booleans: [Bool] = []
    /// Text kept as dictionary codes while every page so far is dictionary encoded (the
    /// chunk then reads as a categorical column of the dictionary's strings).
    private var codes: [Int32] = []
    private var textAsCodes = true
    /// Per row: present (true) or null; empty while every row is present.
    private var present: [Bool] = []
    private var rowsRead = 0
    private var dictionary: (fixed: [UInt8], strings: ParquetEncodings.Strings, booleans: [Bool], count: Int)?

    init(file: ParquetFile, chunk: ParquetColumnChunk, type: ParquetColumnType, rows: Int) {
        self.file = file
        self.chunk = chunk
        self.type = type
        self.rows = rows
    }

    /// The chunk as a column of `rows` values.
    consuming func read() throws -> Column {
        guard chunk.physicalType == type.physical else {
            throw DataError.malformedParquet(
                "column \(name) is \(chunk.physicalType) in a row group, \(type.physical) in the schema")
        }
        let bytes = [UInt8](file.bytes[try file.range(of: chunk)])
        var position = 0
        while rowsRead < rows {
            guard position < bytes.count else {
                throw DataError.malformedParquet("column \(name) ends after \(rowsRead) of \(rows) rows")
            }
            var reader = ThriftReader(bytes, at: position)
            let header = try ParquetPageHeader(&reader)
            let body = reader.position..<reader.position + header.compressedSize
            guard body.upperBound <= bytes.count else {
                throw DataError.malformedParquet("a page of column \(name) runs past its chunk")
            }
            try readPage(header, body: bytes[body])
            position = body.upperBound
        }
        return try assemble()
    }

    private var name: String { chunk.path.joined(separator: ".") }

    private mutating func readPage(_ header: ParquetPageHeader, body: ArraySlice<UInt8>) throws {
        switch header.kind {
        case .index: return
        case .dictionary:
            let data = try chunk.codec.decompress(body, expected: header.uncompressedSize)
            var cursor = ParquetEncodings.Cursor(data)
            var decoded = ParquetChunkReader(file: file, chunk: chunk, type: type, rows: 0)
            try decoded.decodeValues(&cursor, encoding: .plain, count: header.valueCount)
            dictionary = (decoded.fixed, decoded.strings, decoded.booleans, header.valueCount)
            return
        case .data:
            let data = try chunk.codec.decompress(body, expected: header.uncompressedSize)
            var cursor = ParquetEncodings.Cursor(data)
            var nonNull = header.valueCount
            if type.optional {
                let length = Int(try cursor.littleEndian32())
                var levels = ParquetEncodings.Cursor(data, from: cursor.position, to: cursor.position + length)
                nonNull = try readLevels(&levels, count: header.valueCount)
                _ = try cursor.take(length)
            }
            try decodeValues(&cursor, encoding: header.encoding, count: nonNull)
        case .dataV2:
            let levelBytes = header.repetitionLevelsLength + header.definitionLevelsLength
            guard header.repetitionLevelsLength >= 0, header.definitionLevelsLength >= 0, levelBytes <= body.count
            else { throw DataError.malformedParquet("a v2 page of column \(name) has bad level lengths") }
            let levelStart = body.startIndex + header.repetitionLevelsLength
            var nonNull = header.valueCount
            if type.optional {
                var levels = ParquetEncodings.Cursor(
                    Array(body[levelStart..<levelStart + header.definitionLevelsLength]))
                nonNull = try readLevels(&levels, count: header.valueCount)
            }
            let values = body[(body.startIndex + levelBytes)...]
            let data =
                header.isCompressed
                ? try chunk.codec.decompress(values, expected: header.uncompressedSize - levelBytes) : Array(values)
            var cursor = ParquetEncodings.Cursor(data)
            try decodeValues(&cursor, encoding: header.encoding, count: nonNull)
        }
        rowsRead += header.valueCount
        guard rowsRead <= rows else {
            throw DataError.malformedParquet("column \(name) has more values than its \(rows) rows")
        }
    }

    /// Definition levels (bit width 1) of `count` rows; returns how many are present.
    private mutating func readLevels(_ cursor: inout ParquetEncodings.Cursor, count: Int) throws -> Int {
        if ParquetEncodings.isSingleRun(cursor, of: 1, count: count, bitWidth: 1) {
            if !present.isEmpty { present += repeatElement(true, count: count) }
            return count
        }
        let levels = try ParquetEncodings.decodeHybrid(&cursor, bitWidth: 1, count: count)
        if present.isEmpty && levels.contains(0) { present = [Bool](repeating: true, count: rowsRead) }
        if !present.isEmpty || levels.contains(0) { present += levels.map { $0 == 1 } }
        return levels.reduce(0) { $0 + Int($1) }
    }

    private mutating func decodeValues(_ cursor: inout ParquetEncodings.Cursor, encoding: ParquetEncoding, count: Int)
        throws
    {
        if type.physical == .byteArray && textAsCodes && encoding != .plainDictionary && encoding != .rleDictionary {
            // A page without the dictionary (a writer's fallback): the text so far as strings.
            textAsCodes = false
            if let dictionary {
                for code in codes { try strings.append(dictionary.strings[Int(code)]) }
            }
            codes = []
        }
        switch (encoding, type.physical) {
        case (.plain, .boolean):
            let packed = try cursor.take((count + 7) / 8)
            booleans += ParquetEncodings.unpack(packed, bitWidth: 1, count: count).map { $0 == 1 }
        case (.rle, .boolean):
            let length = Int(try cursor.littleEndian32())
            var runs = ParquetEncodings.Cursor(cursor.bytes, from: cursor.position, to: cursor.position + length)
            booleans += try ParquetEncodings.decodeHybrid(&runs, bitWidth: 1, count: count).map { $0 == 1 }
        case (.plain, .byteArray):
            try ParquetEncodings.decodePlainStrings(&cursor, count: count, into: &strings)
        case (.deltaLengthByteArray, .byteArray):
            try ParquetEncodings.decodeDeltaLengthStrings(&cursor, count: count, into: &strings)
        case (.deltaByteArray, .byteArray):
            try ParquetEncodings.decodeDeltaStrings(&cursor, count: count, into: &strings)
        case (.plain, _):
            fixed += try cursor.take(count * (type.physicalWidth ?? 0))
        case (.deltaBinaryPacked, .int32), (.deltaBinaryPacked, .int64):
            let values = try ParquetEncodings.decodeDeltaBinaryPacked(&cursor)
            guard values.count >= count else {
                throw DataError.malformedParquet("\(values.count) delta values for \(count)")
            }
            let width = type.physicalWidth ?? 8
            for value in values.prefix(count) {
                for k in 0..<width { fixed.append(UInt8(truncatingIfNeeded: value >> Int64(8 * k))) }
            }
        case (.byteStreamSplit, .float), (.byteStreamSplit, .double), (.byteStreamSplit, .int32),
            (.byteStreamSplit, .int64):
            let width = type.physicalWidth ?? 0
            let streams = try cursor.take(count * width)
            let base = streams.startIndex
            var values = [UInt8](repeating: 0, count: count * width)
            for i in 0..<count { for k in 0..<width { values[i * width + k] = streams[base + k * count + i] } }
            fixed += values
        case (.plainDictionary, _), (.rleDictionary, _):
            try decodeDictionaryIndices(&cursor, count: count)
        default:
            throw DataError.malformedParquet("column \(name) uses encoding \(encoding) for \(type.physical) values")
        }
    }

    private mutating func decodeDictionaryIndices(_ cursor: inout ParquetEncodings.Cursor, count: Int) throws {
        guard let dictionary else {
            throw DataError.malformedParquet("column \(name) has dictionary indices but no dictionary page")
        }
        guard count > 0 else { return }
        let bitWidth = Int(try cursor.byte())
        let indices = try ParquetEncodings.decodeHybrid(&cursor, bitWidth: bitWidth, count: count)
        if let bad = indices.first(where: { Int($0) >= dictionary.count }) {
            throw DataError.malformedParquet(
                "column \(name) indexes entry \(bad) of a \(dictionary.count)-entry dictionary")
        }
        switch type.physical {
        case .byteArray where textAsCodes:
            codes += indices.map { Int32(bitPattern: $0) }
        case .byteArray:
            for index in indices { try strings.append(dictionary.strings[Int(index)]) }
        case .boolean:
            booleans += indices.map { dictionary.booleans[Int($0)] }
        default:
            let width = type.physicalWidth ?? 0
            fixed.reserveCapacity(fixed.count + count * width)
            for index in indices { fixed += dictionary.fixed[Int(index) * width..<(Int(index) + 1) * width] }
        }
    }

    /// The dense values spread over the rows (nulls zero or empty), as the output column.
    private func assemble() throws -> Column {
        let validity = present.isEmpty ? nil : Bitmap(present)
        let nonNull = present.isEmpty ? rows : present.lazy.filter { $0 }.count
        switch type.physical {
        case .boolean:
            guard booleans.count == nonNull else { throw countMismatch(booleans.count, nonNull) }
            var values = [Bool](repeating: false, count: rows)
            var next = 0
            for row in 0..<rows where present.isEmpty || present[row] {
                values[row] = booleans[next]
                next += 1
            }
            return try Column(type: .bool, count: rows, validity: validity, values: Bitmap(values).bytes)
        case .byteArray where textAsCodes && dictionary != nil:
            return try categorical(validity: validity, nonNull: nonNull)
        case .byteArray:
            guard strings.count == nonNull else { throw countMismatch(strings.count, nonNull) }
            guard let validity else {
                return try checked(
                    Column(type: .utf8, count: rows, validity: nil, values: strings.bytes, offsets: strings.offsets))
            }
            var offsets = [Int32](repeating: 0, count: rows + 1)
            var next = 0
            for row in 0..<rows {
                if present[row] { next += 1 }
                offsets[row + 1] = strings.offsets[next]
            }
            return try checked(
                Column(type: .utf8, count: rows, validity: validity, values: strings.bytes, offsets: offsets))
        default:
            let width = type.physicalWidth ?? 1
            guard fixed.count == nonNull * width else { throw countMismatch(fixed.count / width, nonNull) }
            let converted = type.convert(fixed, count: nonNull)
            let outputWidth = type.type.byteWidth ?? 1
            guard validity != nil else {
                return try Column(type: type.type, count: rows, validity: nil, values: converted)
            }
            var values = [UInt8](repeating: 0, count: rows * outputWidth)
            var next = 0
            for row in 0..<rows where present[row] {
                values[row * outputWidth..<(row + 1) * outputWidth] =
                    converted[next * outputWidth..<(next + 1) * outputWidth]
                next += 1
            }
            return try Column(type: type.type, count: rows, validity: validity, values: values)
        }
    }

    /// The codes spread over the rows as a categorical column of the dictionary's strings.
    private func categorical(validity: Bitmap?, nonNull: Int) throws -> Column {
        // Invariant: the caller checked that there is a dictionary.
        let dictionary = dictionary!
        guard codes.count == nonNull else { throw countMismatch(codes.count, nonNull) }
        let names = try (0..<dictionary.strings.count).map { i in
            guard let text = String(validating: dictionary.strings[i], as: UTF8.self) else {
                throw DataError.malformedParquet("column \(name): dictionary entry \(i) is not valid UTF-8")
            }
            return text
        }
        var values = [Int32](repeating: 0, count: rows)
        if validity == nil {
            values = codes
        } else {
            var next = 0
            for row in 0..<rows where present[row] {
                values[row] = codes[next]
                next += 1
            }
        }
        let bytes = values.withUnsafeBytes { Array($0) }
        // Every code was checked against the dictionary's size as it was decoded, and the
        // categories are the dictionary's entries: no second scan of the codes.
        return Column(
            unchecked: .categorical, count: rows, validity: validity, values: bytes, offsets: nil,
            categories: Categories(names))
    }

    private func countMismatch(_ found: Int, _ expected: Int) -> DataError {
        .malformedParquet("column \(name) decodes \(found) values where its levels say \(expected)")
    }

    private func checked(_ make: @autoclosure () throws -> Column) throws -> Column {
        do {
            return try make()
        } catch DataError.malformedColumn(let reason) {
            throw DataError.malformedParquet("column \(name): \(reason)")
        }
    }
}
