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

    /// The groups of `keys[k][m]` (key k, morsel m), or nil when a key has no small code.
    static func index(keys: [[Column]], morsels: Morsels) -> GroupIndex? {
        var coders: [BoundedKey] = []
        var bound = 1
        for columns in keys {
            guard let coder = BoundedKey(columns, morsels, below: maximumBound) else { return nil }
            bound *= coder.bound
            guard bound <= maximumBound else { return nil }
            coders.append(coder)
        }
        let chunks = morsels.batches.count
        guard !coders.isEmpty, chunks * bound <= 1 << 22 else { return nil }
        // Pass 1: each morsel's first row of every code, then codes numbered by first row.
        let numbered = KeyCodes.numberedByFirstRow(bound: bound, parts: chunks) { m, firsts in
            withCodes(coders, m, morsels) { KeyCodes.recordFirstRows($0, start: morsels.starts[m], into: firsts) }
        }
        var table = [Int32](repeating: 0, count: bound)
        for (id, entry) in numbered.enumerated() { table[entry.code] = Int32(id) }
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
        return GroupIndex(groupCount: numbered.count, ids: ids, firstRows: numbered.map(\.firstRow))
    }

    /// Calls `body` with morsel `m`'s packed codes (key 0 most significant).
    private static func withCodes(
        _ coders: [BoundedKey], _ m: Int, _ morsels: Morsels, _ body: (UnsafeBufferPointer<UInt32>) -> Void
    ) {
        let count = morsels.range(m).count
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count) { codes in
            for (k, coder) in coders.enumerated() { coder.pack(morsel: m, into: codes, combining: k > 0) }
            body(UnsafeBufferPointer(codes))
        }
    }
}
