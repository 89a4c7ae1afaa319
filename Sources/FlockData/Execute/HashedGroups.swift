/// Dense ids for 64-bit codes with too large a range for a direct table: rows are
/// scattered into radix partitions by a multiplicative hash, each partition gets its own
/// open-addressing table on a thread of the pool, and ids are numbered in order of each
/// group's first row. Nothing is shared between threads, so nothing is locked.
enum HashedGroups {
    /// log2 of the number of partitions: enough for every thread to have several, and for
    /// a partition's table of a few million rows to stay near the cache.
    static let partitionBits = 8

    /// The dense id of every row's code, as `Id` values (Int32 for a group index, to write
    /// half the bytes), and each id's first row.
    static func numbering<Id: FixedWidthInteger>(_ codes: [UInt64], morsels: Morsels, as _: Id.Type) -> (
        ids: [Id], firstRows: [Int]
    ) {
        let partitions = 1 << partitionBits
        let chunks = morsels.batches.count
        let count = codes.count
        @inline(__always) func partition(_ code: UInt64) -> Int {
            Int(truncatingIfNeeded: (code &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - partitionBits))
        }
        // Rows per (chunk, partition), then where each chunk's rows of a partition start.
        var histogram = [Int](repeating: 0, count: chunks * partitions)
        histogram.withUnsafeMutableBufferPointer { histogram in
            codes.withUnsafeBufferPointer { codes in
                Parallel.forEach(chunks) { chunk in
                    for i in morsels.range(chunk) { histogram[chunk * partitions + partition(codes[i])] += 1 }
                }
            }
        }
        var partitionStarts = [Int](repeating: 0, count: partitions + 1)
        var cursor = [Int](repeating: 0, count: chunks * partitions)
        var running = 0
        for p in 0..<partitions {
            partitionStarts[p] = running
            for chunk in 0..<chunks {
                cursor[chunk * partitions + p] = running
                running += histogram[chunk * partitions + p]
            }
        }
        partitionStarts[partitions] = running
        // Scatter (code, row) by partition, rows in order within each partition.
        // Every element is written by the scatter below (the cursors cover 0..<count).
        var sortedCodes = [UInt64](unsafeUninitializedCapacity: count) { $1 = count }
        var sortedRows = [Int32](unsafeUninitializedCapacity: count) { $1 = count }
        sortedCodes.withUnsafeMutableBufferPointer { sortedCodes in
            sortedRows.withUnsafeMutableBufferPointer { sortedRows in
                cursor.withUnsafeMutableBufferPointer { cursor in
                    codes.withUnsafeBufferPointer { codes in
                        Parallel.forEach(chunks) { chunk in
                            for i in morsels.range(chunk) {
                                let slot = chunk * partitions + partition(codes[i])
                                sortedCodes[cursor[slot]] = codes[i]
                                sortedRows[cursor[slot]] = Int32(truncatingIfNeeded: i)
                                cursor[slot] += 1
                            }
                        }
                    }
                }
            }
        }
        // Per partition: local ids by open addressing, and each local group's first row.
        var localIds = [Int32](unsafeUninitializedCapacity: count) { $1 = count }
        let firstRowsByPartition: [[Int]] = localIds.withUnsafeMutableBufferPointer { localIds in
            (try? Parallel.map(partitions) { p -> [Int] in
                let range = partitionStarts[p]..<partitionStarts[p + 1]
                var capacity = 16
                while capacity < 2 * range.count { capacity <<= 1 }
                let mask = capacity - 1
                var slotCodes = [UInt64](repeating: 0, count: capacity)
                var slotIds = [Int32](repeating: -1, count: capacity)
                var firstRows: [Int] = []
                for e in range {
                    let code = sortedCodes[e]
                    // The low bits of the hash pick the slot; the high ones picked the partition.
                    var slot = Int(truncatingIfNeeded: (code &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
                    while slotIds[slot] >= 0 && slotCodes[slot] != code { slot = (slot + 1) & mask }
                    if slotIds[slot] < 0 {
                        slotIds[slot] = Int32(firstRows.count)
                        slotCodes[slot] = code
                        firstRows.append(Int(sortedRows[e]))
                    }
                    localIds[e] = slotIds[slot]
                }
                return firstRows
            }) ?? []
        }
        var groupStarts = [Int32](repeating: 0, count: partitions + 1)
        for p in 0..<partitions { groupStarts[p + 1] = groupStarts[p] + Int32(firstRowsByPartition[p].count) }
        let (renumbered, firstRows) = inFirstRowOrder(firstRowsByPartition, groupStarts: groupStarts, rowCount: count)
        // Every row is in exactly one partition, so every element is written.
        let ids = [Id](unsafeUninitializedCapacity: count) { out, initialized in
            let all = out
            Parallel.forEach(partitions) { p in
                for e in partitionStarts[p]..<partitionStarts[p + 1] {
                    all[Int(sortedRows[e])] = Id(truncatingIfNeeded: renumbered[Int(groupStarts[p] + localIds[e])])
                }
            }
            initialized = count
        }
        return (ids, firstRows)
    }

    /// Ids in order of the groups' first rows (`renumbered[id]` for the id numbered by
    /// partition, `groupStarts[p] + local`), and those first rows, ascending. Numbered by
    /// partition, consecutive groups' first rows lie about a partition count apart, so
    /// gathering their keys would read a cache line per value; in first-row order the
    /// gathers read the input front to back (and groups come out in the order they first
    /// appear).
    private static func inFirstRowOrder(_ firstRowsByPartition: [[Int]], groupStarts: [Int32], rowCount: Int) -> (
        renumbered: [Int32], firstRows: [Int]
    ) {
        let groups = Int(groupStarts[groupStarts.count - 1])
        var renumbered = [Int32](repeating: 0, count: groups)
        var firstRows: [Int] = []
        firstRows.reserveCapacity(groups)
        if groups * 16 < rowCount {
            // Few groups: sort them by first row.
            var order = firstRowsByPartition.enumerated().flatMap { p, rows in
                rows.enumerated().map { (row: $1, id: groupStarts[p] + Int32($0)) }
            }
            order.sort { $0.row < $1.row }
            for (new, group) in order.enumerated() {
                renumbered[Int(group.id)] = Int32(new)
                firstRows.append(group.row)
            }
            return (renumbered, firstRows)
        }
        // Many groups: mark each first row with its group, then read the marks in row order.
        var owner = [Int32](repeating: -1, count: rowCount)
        owner.withUnsafeMutableBufferPointer { owner in
            Parallel.forEach(firstRowsByPartition.count) { p in
                for (local, row) in firstRowsByPartition[p].enumerated() { owner[row] = groupStarts[p] + Int32(local) }
            }
        }
        for (row, group) in owner.enumerated() where group >= 0 {
            renumbered[Int(group)] = Int32(firstRows.count)
            firstRows.append(row)
        }
        return (renumbered, firstRows)
    }
}
