import FlockTensor

/// Runs per-group running states over all rows in parallel without merging partial
/// states: thread t owns groups [t G / T, (t + 1) G / T) and scans every row's group id,
/// updating only its own groups. So each group's values are folded in row order on one
/// thread, and results are bit for bit the same for any thread count.
enum GroupFold {
    /// Calls `body(owned, morsel, ids)` for every owned range of groups and every morsel,
    /// where `ids` are the group ids of the morsel's rows.
    static func run(
        _ index: GroupIndex, _ morsels: Morsels,
        _ body: (_ owned: Range<Int32>, _ morsel: Int, _ ids: UnsafeBufferPointer<Int32>) -> Void
    ) {
        let groups = index.groupCount
        let threads = morsels.rowCount < 50_000 || groups < 2 ? 1 : Swift.min(ThreadPool.shared.threadCount, groups)
        index.ids.withUnsafeBufferPointer { allIds in
            Parallel.forEach(threads) { t in
                let owned = Int32(groups * t / threads)..<Int32(groups * (t + 1) / threads)
                for m in 0..<morsels.batches.count {
                    let range = morsels.range(m)
                    body(owned, m, UnsafeBufferPointer(rebasing: allIds[range]))
                }
            }
        }
    }

    /// A buffer of `count` values, each `initial`, that `fill` writes through a pointer
    /// (threads write disjoint elements).
    static func buffer<T>(_ count: Int, _ initial: T, _ fill: (UnsafeMutableBufferPointer<T>) -> Void) -> [T] {
        var values = [T](repeating: initial, count: count)
        values.withUnsafeMutableBufferPointer { fill($0) }
        return values
    }
}
