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
