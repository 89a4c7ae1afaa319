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
        runPadded(index, morsels) { owned, _, m, ids in body(owned, m, ids) }
    }

    /// How many threads fold `index`'s groups.
    static func threads(_ index: GroupIndex, _ morsels: Morsels) -> Int {
        let groups = index.groupCount
        return morsels.rowCount < 50_000 || groups < 2 ? 1 : Swift.min(ThreadPool.shared.threadCount, groups)
    }

    /// Elements of a state array for `runPadded`: the groups, then a spare cache line per
    /// thread.
    static func paddedCount(_ index: GroupIndex, _ morsels: Morsels) -> Int {
        index.groupCount + 8 * threads(index, morsels)
    }

    /// `run`, where the body also gets `spare`, an element of `paddedCount` arrays that only
    /// this thread writes: folding a row whose group it does not own into `spare` instead of
    /// skipping it keeps the loop free of unpredictable branches.
    static func runPadded(
        _ index: GroupIndex, _ morsels: Morsels,
        _ body: (_ owned: Range<Int32>, _ spare: Int, _ morsel: Int, _ ids: UnsafeBufferPointer<Int32>) -> Void
    ) {
        let groups = index.groupCount
        let threads = threads(index, morsels)
        index.ids.withUnsafeBufferPointer { allIds in
            Parallel.forEach(threads) { t in
                let owned = Int32(groups * t / threads)..<Int32(groups * (t + 1) / threads)
                for m in 0..<morsels.batches.count {
                    let range = morsels.range(m)
                    body(owned, groups + 8 * t, m, UnsafeBufferPointer(rebasing: allIds[range]))
                }
            }
        }
    }

    /// Per-group totals of contributions that commute (counts, wrapping integer sums).
    /// `add(totals, owned, spare, morsel, ids)` adds each of the morsel's rows into its
    /// group when `owned` holds it, else into `spare` (no branch per row).
    static func totals(
        _ index: GroupIndex, _ morsels: Morsels,
        _ add: (
            _ totals: UnsafeMutableBufferPointer<Int64>, _ owned: Range<Int32>, _ spare: Int, _ morsel: Int,
            _ ids: UnsafeBufferPointer<Int32>
        ) -> Void
    ) -> [Int64] {
        commuting(index, morsels, initial: 0, merge: { $0 &+ $1 }, add)
    }

    /// Per-group states of a fold whose steps commute and associate (counts, integer sums,
    /// min, max), so rows need no order: when the states of a few chunks of morsels fit,
    /// each chunk folds into states of its own and they merge in chunk order (every row
    /// read once); else threads own group ranges as in `runPadded`. `add` is as in `totals`;
    /// `merge(earlier, later)` combines two chunks' states of a group.
    static func commuting<T>(
        _ index: GroupIndex, _ morsels: Morsels, initial: T, merge: (T, T) -> T,
        _ add: (
            _ states: UnsafeMutableBufferPointer<T>, _ owned: Range<Int32>, _ spare: Int, _ morsel: Int,
            _ ids: UnsafeBufferPointer<Int32>
        ) -> Void
    ) -> [T] {
        let groups = index.groupCount
        let chunks = Swift.min(2 * ThreadPool.shared.threadCount, morsels.batches.count)
        guard chunks > 1 && groups * chunks <= 1 << 24 && morsels.rowCount >= 50_000 else {
            let padded = buffer(paddedCount(index, morsels), initial) { states in
                runPadded(index, morsels) { add(states, $0, $1, $2, $3) }
            }
            return Array(padded.prefix(groups))
        }
        let morselCount = morsels.batches.count
        let partials = index.ids.withUnsafeBufferPointer { all in
            (try? Parallel.map(chunks) { c -> [T] in
                buffer(groups + 1, initial) { local in
                    for m in morselCount * c / chunks..<morselCount * (c + 1) / chunks {
                        add(local, 0..<Int32(groups), groups, m, UnsafeBufferPointer(rebasing: all[morsels.range(m)]))
                    }
                }
            }) ?? []
        }
        guard var states = partials.first?.prefix(groups).map({ $0 }) else { return [] }
        for partial in partials.dropFirst() { for g in 0..<groups { states[g] = merge(states[g], partial[g]) } }
        return states
    }

    /// Rows per group.
    static func rowCounts(_ index: GroupIndex, _ morsels: Morsels) -> [Int64] {
        index.sizes.get {
            totals(index, morsels) { counts, owned, spare, _, ids in
                for id in ids { counts[owned.contains(id) ? Int(id) : spare] += 1 }
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
