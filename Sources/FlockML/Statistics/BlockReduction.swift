import FlockTensor

/// Per-block statistics combined in a fixed order, so a fit gives the same bits on any
/// number of threads (and, with the blocks cut the same way, on any number of workers):
/// rows are cut into blocks of `blockRows` by row number alone, each block's statistic is
/// computed on its own (blocks in parallel), and the statistics are combined pairwise,
/// level by level, (0+1), (2+3), ... then ((0+1)+(2+3)), ... A tree also keeps float sums
/// accurate: an error grows with its depth, log2 of the blocks, not with the rows.
enum BlockReduction {
    /// Rows per block: large enough that a block's work dwarfs the overhead, small enough
    /// that a million rows make a tree over every thread.
    static let blockRows = 16_384

    /// The combination of `statistic(range)` over the blocks of `rows` rows, or
    /// `statistic(0..<0)` when there are none.
    static func reduce<S>(rows: Int, _ statistic: (Range<Int>) -> S, _ combine: (S, S) -> S) -> S {
        guard rows > blockRows else { return statistic(0..<rows) }
        return self.combine(partials(rows: rows, statistic), combine)
    }

    /// `statistic(range)` of each block of `rows` rows, in order (blocks in parallel).
    static func partials<S>(rows: Int, _ statistic: (Range<Int>) -> S) -> [S] {
        let blocks = (rows + blockRows - 1) / blockRows
        var results = [S?](repeating: nil, count: blocks)
        results.withUnsafeMutableBufferPointer { results in
            ThreadPool.shared.parallelFor(chunks: blocks) { b in
                results[b] = statistic(b * blockRows..<Swift.min(rows, (b + 1) * blockRows))
            }
        }
        // Invariant: every block was computed above.
        return results.map { $0! }
    }

    /// Blocks' statistics (at least one), in row order, combined in the fixed tree: the
    /// same bits whether the blocks were computed here or by workers.
    static func combine<S>(_ partials: [S], _ combine: (S, S) -> S) -> S {
        var level = partials
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { i in
                i + 1 < level.count ? combine(level[i], level[i + 1]) : level[i]
            }
        }
        return level[0]
    }
}
