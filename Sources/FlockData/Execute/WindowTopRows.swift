import FlockTensor

/// `row_number()` when only the first `limit` rows of each partition are kept (a filter
/// `rn <= k` above the window, marked by the optimizer as `Window.topRows`, as Spark's
/// window group limit): instead of laying out and sorting every partition, one pass over
/// the rows keeps each partition's best `limit` (order key, row) pairs in a small sorted
/// slot array per thread; the threads' slots are then merged per partition. Those rows get
/// their numbers 1...limit and every other row null, which the filter above drops.
///
/// Order ties go to the earlier row, as the stable sort of the general path does, so
/// both paths number the same rows.
enum WindowTopRows {
    /// Row numbers for the first `limit` rows (by `orderKeys`, then row) of each group of
    /// `index`, null elsewhere; nil when the slots would not be much smaller than the rows
    /// (many groups), where sorting is the better plan.
    static func rowNumbers(_ index: GroupIndex, orderKeys: [UInt64], limit: Int) -> Column? {
        let (groups, rowCount) = (index.groupCount, index.ids.count)
        let slices = Swift.max(1, Swift.min(ThreadPool.shared.threadCount, rowCount / 65_536))
        let (slots, overflow) = groups.multipliedReportingOverflow(by: Swift.max(limit, 1) * slices)
        guard limit >= 0, !overflow, slots <= rowCount / 4 else { return nil }
        let width = limit
        // Per slice: each group's kept pairs, sorted, in `width` slots, and how many there are.
        var keys = [UInt64](repeating: 0, count: slices * groups * width)
        var rows = [Int32](repeating: 0, count: slices * groups * width)
        var counts = [Int32](repeating: 0, count: slices * groups)
        keys.withUnsafeMutableBufferPointer { keys in
            rows.withUnsafeMutableBufferPointer { rows in
                counts.withUnsafeMutableBufferPointer { counts in
                    index.ids.withUnsafeBufferPointer { ids in
                        orderKeys.withUnsafeBufferPointer { orderKeys in
                            Parallel.forEach(slices) { s in
                                let (base, countBase) = (s * groups * width, s * groups)
                                for row in rowCount * s / slices..<rowCount * (s + 1) / slices {
                                    let g = Int(ids[row])
                                    let key = orderKeys[row]
                                    let slot = base + g * width
                                    var count = Int(counts[countBase + g])
                                    // Rows come in increasing order: a tie never displaces.
                                    if count == width {
                                        guard width > 0, key < keys[slot + width - 1] else { continue }
                                        count -= 1
                                    }
                                    var j = count
                                    while j > 0 && keys[slot + j - 1] > key {
                                        keys[slot + j] = keys[slot + j - 1]
                                        rows[slot + j] = rows[slot + j - 1]
                                        j -= 1
                                    }
                                    keys[slot + j] = key
                                    rows[slot + j] = Int32(row)
                                    counts[countBase + g] = Int32(count + 1)
                                }
                            }
                        }
                    }
                }
            }
        }
        var numbers = [Int64](repeating: 0, count: rowCount)
        numbers.withUnsafeMutableBufferPointer { numbers in
            let chunks = Swift.max(1, Swift.min(groups, 64))
            Parallel.forEach(chunks) { chunk in
                var candidates: [(UInt64, Int32)] = []
                candidates.reserveCapacity(slices * width)
                for g in groups * chunk / chunks..<groups * (chunk + 1) / chunks {
                    candidates.removeAll(keepingCapacity: true)
                    for s in 0..<slices {
                        let slot = (s * groups + g) * width
                        for j in 0..<Int(counts[s * groups + g]) { candidates.append((keys[slot + j], rows[slot + j])) }
                    }
                    if slices > 1 {
                        candidates.withUnsafeMutableBufferPointer { Sorter.sortPairs($0) }
                    }
                    for (position, pair) in candidates.prefix(width).enumerated() {
                        numbers[Int(pair.1)] = Int64(position + 1)
                    }
                }
            }
        }
        let validity = Bitmap.packing(count: rowCount) { numbers[$0] != 0 }
        return Column.fixed(Int64.self, count: rowCount, validity: validity) { _ = $0.initialize(from: numbers) }
    }
}
