/// Dense ids for 64-bit codes with too large a range for a direct table: rows are
/// scattered into radix partitions by a multiplicative hash, each partition gets its own
/// open-addressing table on a thread of the pool, and ids are numbered by partition, then
/// by first appearance within it. Nothing is shared between threads, so nothing is locked.
enum HashedGroups {
    /// log2 of the number of partitions: enough for every thread to have several, and for
    /// a partition's table of a few million rows to stay near the cache.
    static let partitionBits = 8

    static func densify(_ codes: [UInt64], morsels: Morsels) -> KeyCodes {
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
        var sortedCodes = [UInt64](repeating: 0, count: count)
        var sortedRows = [Int32](repeating: 0, count: count)
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
        var localIds = [Int32](repeating: 0, count: count)
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
        var result = KeyCodes(codes: [UInt64](repeating: 0, count: count), bound: nil)
        result.codes.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(partitions) { p in
                for e in partitionStarts[p]..<partitionStarts[p + 1] {
                    out[Int(sortedRows[e])] = UInt64(groupStarts[p] + localIds[e])
                }
            }
        }
        result.firstRows = firstRowsByPartition.flatMap { $0 }
        result.groupCount = result.firstRows.count
        result.bound = UInt64(result.groupCount)
        return result
    }
}
