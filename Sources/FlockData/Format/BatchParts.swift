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
        let categories: Categories?
        /// The bytes of the values, and of the whole block (validity, values, offsets,
        /// categories).
        let valueBytes: Int
        let blockLength: Int

        init(name: String, _ columns: [Column]) {
            self.name = name
            type = columns[0].type  // Invariant: BatchParts has at least one part.
            let rows = columns.reduce(0) { $0 + $1.count }
            validity = Column.joinedValidity(columns)
            switch type {
            case .bool:
                // Invariant: the parts share a type (checked by BatchParts).
                parts = [try! Column.concatenate(columns)]
            case .categorical: parts = Column.sharingCategories(columns)
            default: parts = columns
            }
            categories = parts[0].categories
            valueBytes = parts.reduce(0) { $0 + $1.values.count }
            var length = (validity?.bytes.count ?? 0) + 8 + valueBytes
            if type == .utf8 { length += 4 * (rows + 1) }
            if let categories {
                let text = categories.values.reduce(0) { $0 + $1.utf8.count }
                length += 4 + 4 * (categories.values.count + 1) + 8 + text
            }
            blockLength = length
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
            for part in column.parts { out.append(part.values) }
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
