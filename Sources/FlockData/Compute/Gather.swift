/// Moving rows: a column's values at given row numbers (filters, sorts, joins and group
/// keys all end in one), and columns of many batches made one.
extension Column {
    /// The values at `rows`, in that order; a row of -1 gives a null (the unmatched side
    /// of an outer join).
    func gather(_ rows: [Int32]) -> Column {
        let hasMissing = rows.contains(-1)
        var validity: Bitmap?
        if self.validity != nil || hasMissing {
            validity = Bitmap.packing(count: rows.count) { i in rows[i] >= 0 && !isNull(Int(rows[i])) }
        }
        switch type {
        case .bool:
            return Column.bools(count: rows.count, validity: validity) { i in rows[i] >= 0 && boolValue(Int(rows[i])) }
        case .utf8:
            // Invariant: utf8 columns have offsets.
            let offsets = self.offsets!
            var bytes: [UInt8] = []
            var newOffsets: [Int32] = [0]
            newOffsets.reserveCapacity(rows.count + 1)
            values.withUnsafeBufferPointer { source in
                for row in rows {
                    if row >= 0 {
                        bytes.append(
                            contentsOf: source[Int(offsets[Int(row)])..<Int(offsets[Int(row) + 1])])
                    }
                    newOffsets.append(Int32(bytes.count))
                }
            }
            return Column(
                unchecked: .utf8, count: rows.count, validity: validity, values: bytes, offsets: newOffsets)
        default:
            func take<T: FixedWidthValue>(_: T.Type) -> Column {
                values.withUnsafeBytes { raw in
                    let source = raw.bindMemory(to: T.self)
                    return Column.fixed(
                        T.self, type: type, count: rows.count, validity: validity, categories: categories
                    ) {
                        out in
                        for (i, row) in rows.enumerated() {
                            if row >= 0 {
                                out[i] = source[Int(row)]
                            } else {  // A null slot: zero bytes, as Flock writes them.
                                UnsafeMutableRawPointer(out.baseAddress! + i).initializeMemory(
                                    as: UInt8.self, repeating: 0, count: MemoryLayout<T>.stride)
                            }
                        }
                    }
                }
            }
            switch type.byteWidth {
            case 1: return take(Int8.self)
            case 2: return take(Int16.self)
            case 4: return take(Int32.self)
            default: return take(Int64.self)
            }
        }
    }

    /// The values at global rows `rows` (-1: null) of `parts`, the columns of `morsels`'
    /// batches, each value copied once (no joined copy of the parts first); rows that
    /// mostly ascend are found by walking the parts. nil unless the parts are of one
    /// fixed-width type (categorical: one category set) and not bool.
    static func gathering(_ parts: [Column], of morsels: Morsels, rows: ArraySlice<Int>) -> Column? {
        guard let first = parts.first, let width = first.type.byteWidth, first.type != .bool,
            parts.allSatisfy({ $0.type == first.type && $0.categories === first.categories })
        else { return nil }
        let starts = morsels.starts
        var part = 0
        func locate(_ row: Int) -> (part: Int, index: Int) {
            if row < starts[part] || row >= starts[part + 1] {
                let next = part + 1
                part = next + 1 < starts.count && morsels.range(next).contains(row) ? next : morsels.locate(row).morsel
            }
            return (part, row - starts[part])
        }
        var validity: Bitmap?
        if rows.contains(-1) || parts.contains(where: { $0.validity != nil }) {
            validity = Bitmap.packing(count: rows.count) { i in
                let row = rows[rows.startIndex + i]
                guard row >= 0 else { return false }
                let (p, index) = locate(row)
                return !parts[p].isNull(index)
            }
        }
        func take<T: FixedWidthValue>(_: T.Type) -> Column {
            Column.fixed(T.self, type: first.type, count: rows.count, validity: validity, categories: first.categories)
            {
                out in
                // Runs of rows in one part, each copied from inside that part's bytes.
                var i = 0
                while i < rows.count {
                    let row = rows[rows.startIndex + i]
                    guard row >= 0 else {  // A null slot: zero bytes, as Flock writes them.
                        UnsafeMutableRawPointer(out.baseAddress! + i).initializeMemory(
                            as: UInt8.self, repeating: 0, count: MemoryLayout<T>.stride)
                        i += 1
                        continue
                    }
                    let (p, _) = locate(row)
                    let range = starts[p]..<starts[p + 1]
                    var end = i + 1
                    while end < rows.count, range.contains(rows[rows.startIndex + end]) { end += 1 }
                    parts[p].values.withUnsafeBytes { raw in
                        let source = raw.bindMemory(to: T.self)
                        for k in i..<end { out[k] = source[rows[rows.startIndex + k] - range.lowerBound] }
                    }
                    i = end
                }
            }
        }
        switch width {
        case 1: return take(Int8.self)
        case 2: return take(Int16.self)
        case 4: return take(Int32.self)
        default: return take(Int64.self)
        }
    }

    /// `columns` one after another, as one column. Categorical columns with different
    /// categories are re-coded into their union.
    /// - Throws: `DataError.malformedBatch` when the columns' types differ.
    static func concatenate(_ columns: [Column]) throws -> Column {
        guard let first = columns.first else { throw DataError.malformedBatch("nothing to concatenate") }
        if columns.count == 1 { return first }
        if let other = columns.first(where: { $0.type != first.type }) {
            throw DataError.malformedBatch("cannot put \(other.type) values after \(first.type) values")
        }
        let columns = first.type == .categorical ? Column.sharingCategories(columns) : columns
        let count = columns.reduce(0) { $0 + $1.count }
        let validity = joinedValidity(columns)
        switch first.type {
        case .bool:
            let all = columns.flatMap { column in (0..<column.count).map { column.boolValue($0) } }
            return Column.bools(count: count, validity: validity) { all[$0] }
        case .utf8:
            var bytes: [UInt8] = []
            var offsets: [Int32] = [0]
            for column in columns {
                let base = Int32(bytes.count)
                bytes += column.values
                offsets += column.offsets!.dropFirst().map { $0 + base }  // Invariant: utf8 has offsets.
            }
            return Column(unchecked: .utf8, count: count, validity: validity, values: bytes, offsets: offsets)
        default:
            return Column(
                unchecked: first.type, count: count, validity: validity,
                values: joined(columns.map(\.values)),
                categories: columns[0].categories)
        }
    }

    /// The validity of `columns` one after another (nil when no value of any is null).
    static func joinedValidity(_ columns: [Column]) -> Bitmap? {
        guard columns.contains(where: { $0.validity != nil }) else { return nil }
        var bits = Bitmap(count: columns.reduce(0) { $0 + $1.count }, value: true)
        var base = 0
        for column in columns {
            if let own = column.validity { for i in 0..<column.count where !own[i] { bits.set(base + i, false) } }
            base += column.count
        }
        return bits
    }

    /// Categorical `columns` re-coded, where needed, so all use one `Categories`.
    static func sharingCategories(_ columns: [Column]) -> [Column] {
        guard let shared = columns.first?.categories,
            columns.contains(where: { $0.categories !== shared })
        else { return columns }
        var names = shared.values
        var codes = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Int32($0)) })
        for column in columns {
            for name in column.categories?.values ?? [] where codes[name] == nil {
                codes[name] = Int32(names.count)
                names.append(name)
            }
        }
        let union = Categories(names)
        return columns.map { column in
            // Invariant: every column here is categorical (checked by the caller).
            let map = column.categories!.values.map { codes[$0]! }
            return column.values.withUnsafeBytes { raw in
                let old = raw.bindMemory(to: Int32.self)
                return Column.fixed(
                    Int32.self, type: .categorical, count: column.count, validity: column.validity, categories: union
                ) { out in
                    for i in 0..<column.count { out[i] = column.isNull(i) ? 0 : map[Int(old[i])] }
                }
            }
        }
    }
}

extension RecordBatch {
    /// The rows at `rows`, in that order (-1: a row of nulls).
    func gather(_ rows: [Int32]) -> RecordBatch {
        // Invariant: gathered columns all have rows.count values; names unchanged.
        try! RecordBatch(names: names, columns: columns.map { $0.gather(rows) })
    }

    /// `batches` (same names and types) as one batch.
    static func concatenate(_ batches: [RecordBatch], schema: Schema) throws -> RecordBatch {
        guard !batches.isEmpty else { return try RecordBatch.empty(schema) }
        return try RecordBatch(
            names: schema.names,
            columns: schema.fields.indices.map { j in try Column.concatenate(batches.map { $0.columns[j] }) })
    }

    /// A batch of no rows with `schema`'s columns.
    static func empty(_ schema: Schema) throws -> RecordBatch {
        try RecordBatch(names: schema.names, columns: schema.fields.map { Column.empty($0.type) })
    }
}

extension Column {
    /// A column of no values of `type`.
    static func empty(_ type: DataType) -> Column {
        Column(
            unchecked: type, count: 0, validity: nil, values: [], offsets: type == .utf8 ? [0] : nil,
            categories: type == .categorical ? Categories([]) : nil)
    }
}

/// `parts` one after another in one array of exactly their total size, each copied once
/// (`flatMap` grows the array as it goes, copying it again at every doubling).
private func joined(_ parts: [[UInt8]]) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: parts.reduce(0) { $0 + $1.count }) { out, initialized in
        initialized = 0
        for part in parts {
            part.withUnsafeBufferPointer { source in
                _ = UnsafeMutableBufferPointer(rebasing: out[initialized...]).initialize(from: source)
            }
            initialized += part.count
        }
    }
}
