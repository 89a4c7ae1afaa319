/// Naive Bayes's statistic: each class's row count and feature sums (and, for the Gaussian
/// model, its features' `Moments`), the first label that is not a class index, and the
/// first negative feature (which the multinomial model refuses).
struct ClassConditionalSums: BlockStatistic {
    /// Keep each class's moments (the Gaussian model).
    let moments: Bool

    struct Partial: Sendable {
        /// Features per row.
        var width = 0
        /// Rows per class index.
        var counts: [Int] = []
        /// Per class, the features' sums (row-major, classes x features).
        var sums: [Double] = []
        var moments: [Moments]?
        var invalidLabel: ClassSummary.Invalid?
        var negative: Negative?
    }

    /// A negative feature value: where it is.
    struct Negative: Sendable {
        let row: Int
        let column: Int
        let value: Double
    }

    func block(_ rows: TrainingRows, _ range: Range<Int>) -> Partial {
        let d = rows.features.width
        var partial = Partial(width: d)
        var members: [[Int]] = []  // Each class's rows, for its moments.
        rows.features.values.withUnsafeBufferPointer { x in
            for i in range {
                let value = rows.labels[i]
                guard value >= 0, value < Double(1 << 20), value == value.rounded() else {
                    if partial.invalidLabel == nil {
                        partial.invalidLabel = ClassSummary.Invalid(row: rows.firstRow + i, value: value)
                    }
                    continue
                }
                let c = Int(value)
                if c >= partial.counts.count {
                    partial.counts += [Int](repeating: 0, count: c + 1 - partial.counts.count)
                    partial.sums += [Double](repeating: 0, count: (c + 1) * d - partial.sums.count)
                    members += [[Int]](repeating: [], count: c + 1 - members.count)
                }
                partial.counts[c] += 1
                for j in 0..<d {
                    let v = x[i * d + j]
                    partial.sums[c * d + j] += v
                    if v < 0, partial.negative == nil {
                        partial.negative = Negative(row: rows.firstRow + i, column: j, value: v)
                    }
                }
                if moments { members[c].append(i) }
            }
            if moments {  // As `Moments` computes a block's, over each class's rows.
                partial.moments = members.indices.map { c in
                    var m = Moments(width: d, pairs: false)
                    m.count = members[c].count
                    guard m.count > 0 else { return m }
                    for j in 0..<d { m.means[j] = partial.sums[c * d + j] / Double(m.count) }
                    for i in members[c] {
                        for j in 0..<d {
                            let centred = x[i * d + j] - m.means[j]
                            m.comoments[j] += centred * centred
                        }
                    }
                    return m
                }
            }
        }
        return partial
    }

    static func merged(_ a: Partial, _ b: Partial) -> Partial {
        let classes = Swift.max(a.counts.count, b.counts.count)
        let (x, y) = (padded(a, to: classes), padded(b, to: classes))
        var result = x
        for c in 0..<classes { result.counts[c] += y.counts[c] }
        for p in result.sums.indices { result.sums[p] += y.sums[p] }
        if let first = x.moments, let second = y.moments { result.moments = zip(first, second).map(Moments.merged) }
        result.invalidLabel = a.invalidLabel ?? b.invalidLabel
        result.negative = a.negative ?? b.negative
        return result
    }

    /// `partial` with `classes` classes (the missing ones without rows).
    private static func padded(_ partial: Partial, to classes: Int) -> Partial {
        let have = partial.counts.count
        guard have < classes else { return partial }
        var result = partial
        let d = partial.width
        result.counts += [Int](repeating: 0, count: classes - have)
        result.sums += [Double](repeating: 0, count: (classes - have) * d)
        result.moments? += [Moments](repeating: Moments(width: d, pairs: false), count: classes - have)
        return result
    }
}
