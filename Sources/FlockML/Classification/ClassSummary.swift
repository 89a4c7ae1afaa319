/// What a classifier learns of its rows before fitting: the features' means and deviations
/// (`Moments`, for standardization), how many rows each class has, and the first label
/// that is not a class index (0, 1, 2, ... below 2^20), which the fit reports.
struct ClassSummary: BlockStatistic {
    struct Partial: Sendable {
        var moments: Moments
        /// Rows per class index.
        var classCounts: [Int]
        /// The first row (of the training set) whose label is not a class index, and its value.
        var invalidLabel: Invalid?
    }

    /// A label that is not a class index.
    struct Invalid: Sendable {
        let row: Int
        let value: Double
    }

    func block(_ rows: TrainingRows, _ range: Range<Int>) -> Partial {
        let moments = rows.features.values.withUnsafeBufferPointer {
            Moments($0, width: rows.features.width, rows: range, pairs: false)
        }
        var partial = Partial(moments: moments, classCounts: [], invalidLabel: nil)
        for i in range {
            let value = rows.labels[i]
            guard value >= 0, value < Double(1 << 20), value == value.rounded() else {
                if partial.invalidLabel == nil { partial.invalidLabel = Invalid(row: rows.firstRow + i, value: value) }
                continue
            }
            let label = Int(value)
            if label >= partial.classCounts.count {
                partial.classCounts += [Int](repeating: 0, count: label + 1 - partial.classCounts.count)
            }
            partial.classCounts[label] += 1
        }
        return partial
    }

    static func merged(_ a: Partial, _ b: Partial) -> Partial {
        var counts = a.classCounts.count >= b.classCounts.count ? a.classCounts : b.classCounts
        for (c, n) in (a.classCounts.count >= b.classCounts.count ? b.classCounts : a.classCounts).enumerated() {
            counts[c] += n
        }
        return Partial(
            moments: Moments.merged(a.moments, b.moments), classCounts: counts,
            invalidLabel: a.invalidLabel ?? b.invalidLabel)
    }
}

extension ClassSummary {
    /// The number of classes (the largest index + 1) of rows counted by class index.
    /// - Throws: `MLError.invalidData` for `invalid`, a label that is not a class index, or
    ///   fewer than two classes present.
    static func classes(_ counts: [Int], invalid: Invalid?, labelColumn: String) throws -> Int {
        if let invalid {
            throw MLError.invalidData(
                "column \"\(labelColumn)\" holds \(invalid.value) at row \(invalid.row); labels are class indices 0, 1, 2, ..."
            )
        }
        let present = counts.indices.filter { counts[$0] > 0 }
        guard present.count >= 2 else {
            throw MLError.invalidData(
                "column \"\(labelColumn)\" holds a single class (\(present.first ?? 0)); a classifier needs two")
        }
        return counts.count
    }
}

extension ClassSummary.Partial {
    /// Each feature's scale while fitting: 1 / its deviation with `standardization`, else
    /// 1; 0 for a constant feature, which is left out.
    func featureScale(standardization: Bool) -> [Double] {
        (0..<moments.width).map { j in
            let deviation = standardization ? moments.variance(j).squareRoot() : 1
            return deviation > 0 ? 1 / deviation : 0
        }
    }

    /// The number of classes (the largest index + 1).
    /// - Throws: `MLError.invalidData` for a label that is not a class index, or fewer than
    ///   two classes present.
    func classes(labelColumn: String) throws -> Int {
        try ClassSummary.classes(classCounts, invalid: invalidLabel, labelColumn: labelColumn)
    }
}
