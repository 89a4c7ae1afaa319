/// Group ids straight from the key columns when every key has a small bounded code
/// (categorical, bool, integers of a small range; 0 for null) and the product of the
/// bounds is at most 65,536: the common case of grouping by a few low-cardinality
/// columns. Per morsel, the packed codes are computed into a buffer that stays in cache,
/// twice: once to find the first row of every code the morsel holds, once, after codes are
/// numbered by their first row overall, to write the morsel's group ids. No per-row code
/// array of the whole input is made, and ids are numbered as `GroupIndex` numbers them.
enum SmallGroups {
    /// The most distinct packed codes this path takes.
    static let maximumBound = 1 << 16

    /// How one key's values become codes below `bound`.
    private struct KeyCode {
        let columns: [Column]
        let bound: Int
        /// Subtracted from integers before the + 1 that leaves 0 for null.
        let low: Int64
    }

    /// The groups of `keys[k][m]` (key k, morsel m), or nil when a key has no small code.
    static func index(keys: [[Column]], morsels: Morsels) -> GroupIndex? {
        var coders: [KeyCode] = []
        var bound = 1
        for columns in keys {
            guard let coder = coder(columns, morsels), coder.bound <= maximumBound else { return nil }
            bound *= coder.bound
            guard bound <= maximumBound else { return nil }
            coders.append(coder)
        }
        let chunks = morsels.batches.count
        guard !coders.isEmpty, chunks * bound <= 1 << 22 else { return nil }
        // Pass 1: each morsel's first row of every code.
        var firsts = [Int32](repeating: -1, count: chunks * bound)
        firsts.withUnsafeMutableBufferPointer { firsts in
            Parallel.forEach(chunks) { m in
                let base = m * bound
                let start = morsels.starts[m]
                withCodes(coders, m, morsels) { codes in
                    for (i, code) in codes.enumerated() where firsts[base + Int(code)] < 0 {
                        firsts[base + Int(code)] = Int32(start + i)
                    }
                }
            }
        }
        var firstRow = [Int32](repeating: -1, count: bound)
        for m in 0..<chunks {
            for code in 0..<bound where firstRow[code] < 0 { firstRow[code] = firsts[m * bound + code] }
        }
        let present = (0..<bound).filter { firstRow[$0] >= 0 }.sorted { firstRow[$0] < firstRow[$1] }
        var table = [Int32](repeating: 0, count: bound)
        for (id, code) in present.enumerated() { table[code] = Int32(id) }
        // Pass 2: ids through the table.
        var ids = [Int32](repeating: 0, count: morsels.rowCount)
        ids.withUnsafeMutableBufferPointer { ids in
            table.withUnsafeBufferPointer { table in
                Parallel.forEach(chunks) { m in
                    let start = morsels.starts[m]
                    withCodes(coders, m, morsels) { codes in
                        for (i, code) in codes.enumerated() { ids[start + i] = table[Int(code)] }
                    }
                }
            }
        }
        return GroupIndex(groupCount: present.count, ids: ids, firstRows: present.map { Int(firstRow[$0]) })
    }

    /// The coder of a key, when its type has a small code.
    private static func coder(_ columns: [Column], _ morsels: Morsels) -> KeyCode? {
        guard let type = columns.first?.type else { return nil }
        switch type {
        case .categorical:
            let shared = Column.sharingCategories(columns)
            // Invariant: categorical columns have categories.
            return KeyCode(columns: shared, bound: shared[0].categories!.values.count + 1, low: 0)
        case .bool:
            return KeyCode(columns: columns, bound: 3, low: 0)
        case .int8, .int16, .int32, .int64, .date32, .timestampMicroseconds:
            guard let (low, high) = KeyCodes.integerRange(columns, morsels) else {
                return KeyCode(columns: columns, bound: 1, low: 0)  // Only nulls: all code 0.
            }
            let (span, overflow) = high.subtractingReportingOverflow(low)
            guard !overflow, span < Int64(maximumBound) else { return nil }
            return KeyCode(columns: columns, bound: Int(span) + 2, low: low)
        default:
            return nil
        }
    }

    /// Calls `body` with morsel `m`'s packed codes (key 0 most significant).
    private static func withCodes(
        _ coders: [KeyCode], _ m: Int, _ morsels: Morsels, _ body: (UnsafeBufferPointer<UInt32>) -> Void
    ) {
        let count = morsels.range(m).count
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count) { codes in
            codes.initialize(repeating: 0)
            for coder in coders { pack(coder, coder.columns[m], into: codes) }
            body(UnsafeBufferPointer(codes))
        }
    }

    /// `codes[i] = codes[i] * bound + code(value i)`.
    private static func pack(_ coder: KeyCode, _ column: Column, into codes: UnsafeMutableBufferPointer<UInt32>) {
        let bound = UInt32(coder.bound)
        let validity = column.validity
        func fold<T: BinaryInteger>(_ values: UnsafeBufferPointer<T>, low: Int64) {
            if let validity {
                for i in 0..<codes.count {
                    let code = validity[i] ? UInt32(truncatingIfNeeded: Int64(values[i]) &- low) &+ 1 : 0
                    codes[i] = codes[i] &* bound &+ code
                }
            } else {
                for i in 0..<codes.count {
                    codes[i] = codes[i] &* bound &+ (UInt32(truncatingIfNeeded: Int64(values[i]) &- low) &+ 1)
                }
            }
        }
        column.values.withUnsafeBytes { raw in
            switch column.type.storageType {
            case .int8: fold(raw.bindMemory(to: Int8.self), low: coder.low)
            case .int16: fold(raw.bindMemory(to: Int16.self), low: coder.low)
            case .int32: fold(raw.bindMemory(to: Int32.self), low: coder.low)
            case .int64: fold(raw.bindMemory(to: Int64.self), low: coder.low)
            default:  // bool
                for i in 0..<codes.count {
                    let code: UInt32 = column.isNull(i) ? 0 : (column.boolValue(i) ? 2 : 1)
                    codes[i] = codes[i] &* bound &+ code
                }
            }
        }
    }
}
