/// Batches with the same columns (a stage's morsels, one piece's share of each) to be
/// encoded as one batch (`BatchCoding`): each column's values are written part after part
/// into the encoding, so the parts are never concatenated into a batch first (a copy, into
/// fresh memory, of every row). Only what needs re-coding is joined up front: validity
/// bitmaps, bit-packed booleans, and categorical parts with different categories.
struct BatchParts: Sendable {
    /// One column of the parts, ready to write.
    struct ColumnParts: Sendable {
        let name: String
        let type: DataType
        /// The whole column's validity (nil: no nulls in any part).
        let validity: Bitmap?
        /// The parts' columns, sharing `categories` when categorical.
        let parts: [Column]
        /// The rows of each part to write, gathered as they are written (nil: all rows).
        let selections: [[Int32]]?
        let categories: Categories?
        /// The bytes of the values, and of the whole block (validity, values, offsets,
        /// categories).
        let valueBytes: Int
        let blockLength: Int

        init(name: String, _ columns: [Column]) {
            let type = columns[0].type  // Invariant: BatchParts has at least one part.
            let parts: [Column]
            switch type {
            case .bool:
                // Invariant: the parts share a type (checked by BatchParts).
                parts = [try! Column.concatenate(columns)]
            case .categorical: parts = Column.sharingCategories(columns)
            default: parts = columns
            }
            self.init(
                name: name, type: type, validity: Column.joinedValidity(columns), parts: parts, selections: nil,
                rows: columns.reduce(0) { $0 + $1.count }, valueBytes: parts.reduce(0) { $0 + $1.values.count })
        }

        /// The rows `rows[k]` of each `sources[k]`: fixed-width columns without nulls that
        /// share their categories are gathered straight into the encoding as it is written
        /// (the map side of a shuffle then copies each value once); others are gathered
        /// first.
        init(name: String, gathering sources: [Column], rows: [[Int32]]) {
            let first = sources[0]  // Invariant: BatchParts has at least one part.
            guard let width = first.type.byteWidth, first.type != .bool,
                sources.allSatisfy({ $0.validity == nil && $0.categories === first.categories })
            else {
                self.init(name: name, zip(sources, rows).map { $0.gather($1) })
                return
            }
            let count = rows.reduce(0) { $0 + $1.count }
            self.init(
                name: name, type: first.type, validity: nil, parts: sources, selections: rows, rows: count,
                valueBytes: width * count)
        }

        private init(
            name: String, type: DataType, validity: Bitmap?, parts: [Column], selections: [[Int32]]?, rows: Int,
            valueBytes: Int
        ) {
            self.name = name
            self.type = type
            self.validity = validity
            self.parts = parts
            self.selections = selections
            categories = parts[0].categories
            self.valueBytes = valueBytes
            blockLength = Self.blockLength(
                type, rows: rows, validity: validity, valueBytes: valueBytes, categories: categories)
        }

        /// The bytes of a column's block in `BatchCoding`'s layout.
        private static func blockLength(
            _ type: DataType, rows: Int, validity: Bitmap?, valueBytes: Int, categories: Categories?
        ) -> Int {
            var length = (validity?.bytes.count ?? 0) + 8 + valueBytes
            if type == .utf8 { length += 4 * (rows + 1) }
            if let categories {
                let text = categories.values.reduce(0) { $0 + $1.utf8.count }
                length += 4 + 4 * (categories.values.count + 1) + 8 + text
            }
            return length
        }

        /// Writes the values of every part (the selected rows where there is a selection).
        func writeValues(into out: inout ByteSink) {
            guard let selections, let width = type.byteWidth else {
                for part in parts { out.append(part.values) }
                return
            }
            for (part, rows) in zip(parts, selections) { out.gather(part.values, rows: rows, width: width) }
        }
    }

    let rows: Int
    let columns: [ColumnParts]
    /// How many bytes the encoded batch takes.
    let byteCount: Int

    /// `parts` as one batch to encode.
    /// - Throws: `DataError.malformedBatch` when there are none or their columns differ.
    init(_ parts: [RecordBatch]) throws {
        guard let first = parts.first else { throw DataError.malformedBatch("no batches to encode") }
        let schema = Schema(of: first)
        for part in parts.dropFirst() where Schema(of: part) != schema {
            throw DataError.malformedBatch(
                "batches encoded as one must share columns: [\(schema)] vs [\(Schema(of: part))]")
        }
        rows = parts.reduce(0) { $0 + $1.rowCount }
        columns = first.names.indices.map { j in ColumnParts(name: first.names[j], parts.map { $0.columns[j] }) }
        byteCount = columns.reduce(16) { $0 + 4 + $1.name.utf8.count + 2 + 8 + $1.blockLength }
    }

    /// Rows `rows[k]` of each batch `parts[k]`, as one batch to encode: the values are
    /// gathered as they are written where they can be (`ColumnParts.init(gathering:)`).
    /// - Throws: `DataError.malformedBatch` when there are none, their columns differ, or
    ///   the selections do not match the batches.
    init(gathering parts: [RecordBatch], rows: [[Int32]]) throws {
        guard let first = parts.first, rows.count == parts.count else {
            throw DataError.malformedBatch("\(parts.count) batches to encode with \(rows.count) row selections")
        }
        let schema = Schema(of: first)
        for part in parts.dropFirst() where Schema(of: part) != schema {
            throw DataError.malformedBatch(
                "batches encoded as one must share columns: [\(schema)] vs [\(Schema(of: part))]")
        }
        self.rows = rows.reduce(0) { $0 + $1.count }
        columns = first.names.indices.map { j in
            ColumnParts(name: first.names[j], gathering: parts.map { $0.columns[j] }, rows: rows)
        }
        byteCount = columns.reduce(16) { $0 + 4 + $1.name.utf8.count + 2 + 8 + $1.blockLength }
    }

    /// One batch as it is.
    init(_ batch: RecordBatch) {
        // Invariant: one part always shares its own columns.
        try! self.init([batch])
    }

    /// Writes the encoded batch (`BatchCoding`'s layout) to `out`.
    func write(into out: inout ByteSink, magic: [UInt8]) {
        out.append(magic)
        out.integer(UInt32(columns.count))
        out.integer(UInt64(rows))
        for column in columns {
            out.text(column.name)
            out.integer(UInt8(DataType.allCases.firstIndex(of: column.type)!))  // Invariant: every type is a case.
            out.integer(UInt8(column.validity == nil ? 0 : 1))
            out.integer(UInt64(column.blockLength))
            if let validity = column.validity { out.append(validity.bytes) }
            out.integer(UInt64(column.valueBytes))
            column.writeValues(into: &out)
            if column.type == .utf8 {
                var base: Int32 = 0
                out.integer(base)
                for part in column.parts {
                    // Invariant: utf8 columns have offsets.
                    for offset in part.offsets!.dropFirst() { out.integer(base + offset) }
                    base += Int32(part.values.count)
                }
            }
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
}
