/// Moments of value pairs per group, kept as six doubles a group in `MomentField` order
/// (count, mean of x, mean of y, sums of squared deviations of x and of y, co-moment):
/// correlation in one step, and the two steps a cluster splits variance, deviation and
/// correlation into (map tasks ship each group's moments, reducers merge them).
enum GroupMoments {
    /// Doubles per group in a state array.
    static let width = MomentField.allCases.count

    /// The moments of the rows where both x and y are present, per group, updated row by
    /// row in row order (Welford's updates).
    static func accumulate(_ xs: [Column], _ ys: [Column], _ index: GroupIndex, _ morsels: Morsels) -> [Double] {
        var state = [Double](repeating: 0, count: index.groupCount * width)
        state.withUnsafeMutableBufferPointer { s in
            GroupFold.run(index, morsels) { owned, m, ids in
                let (xc, yc) = (xs[m], ys[m])
                xc.withDoubles { x in
                    yc.withDoubles { y in
                        for (i, id) in ids.enumerated() where owned.contains(id) && !xc.isNull(i) && !yc.isNull(i) {
                            let b = Int(id) * width
                            s[b] += 1
                            let dx = x[i] - s[b + 1]
                            s[b + 1] += dx / s[b]
                            let dy = y[i] - s[b + 2]
                            s[b + 2] += dy / s[b]
                            s[b + 3] += dx * (x[i] - s[b + 1])
                            s[b + 4] += dy * (y[i] - s[b + 2])
                            s[b + 5] += dx * (y[i] - s[b + 2])
                        }
                    }
                }
            }
        }
        return state
    }

    /// Per group, the moments of its rows' partial moments (`fields`: one column list per
    /// `MomentField`, each row the moments of one row set) merged in row order by the
    /// pairwise update of Chan, Golub and LeVeque. A row with a null or zero count adds
    /// nothing.
    static func merge(_ fields: [[Column]], _ index: GroupIndex, _ morsels: Morsels) -> [Double] {
        var state = [Double](repeating: 0, count: index.groupCount * width)
        state.withUnsafeMutableBufferPointer { s in
            GroupFold.run(index, morsels) { owned, m, ids in
                let columns = fields.map { $0[m] }
                let doubles = columns.map { column in column.withDoubles(Array.init) }
                let (n, meanX, meanY, squaresX, squaresY, coMoment) =
                    (doubles[0], doubles[1], doubles[2], doubles[3], doubles[4], doubles[5])
                for (i, id) in ids.enumerated()
                where owned.contains(id) && n[i] > 0 && !columns.contains(where: { $0.isNull(i) }) {
                    let b = Int(id) * width
                    let total = s[b] + n[i]
                    let dx = meanX[i] - s[b + 1]
                    let dy = meanY[i] - s[b + 2]
                    let weight = s[b] * n[i] / total
                    s[b + 1] += dx * n[i] / total
                    s[b + 2] += dy * n[i] / total
                    s[b + 3] += squaresX[i] + dx * dx * weight
                    s[b + 4] += squaresY[i] + dy * dy * weight
                    s[b + 5] += coMoment[i] + dx * dy * weight
                    s[b] = total
                }
            }
        }
        return state
    }

    /// One field of every group's moments, as a column without nulls.
    static func field(_ field: MomentField, of state: [Double]) -> Column {
        let groups = state.count / width
        return Column.fixed(Double.self, count: groups, validity: nil) { out in
            for g in 0..<groups { out[g] = state[g * width + field.rawValue] }
        }
    }

    /// The statistic of every group's moments: sample variance or deviation of x (null
    /// under two values), or Pearson's correlation (null under two pairs or when x or y
    /// does not vary).
    static func statistic(_ statistic: MomentStatistic, of state: [Double]) -> Column {
        let groups = state.count / width
        let validity = Bitmap.packing(count: groups) { g in
            let b = g * width
            return state[b] >= 2 && (statistic != .correlation || (state[b + 3] > 0 && state[b + 4] > 0))
        }
        return Column.fixed(Double.self, count: groups, validity: validity) { out in
            for g in 0..<groups {
                let b = g * width
                switch statistic {
                case .variance, .standardDeviation:
                    let variance = state[b] > 1 ? state[b + 3] / (state[b] - 1) : 0
                    out[g] = statistic == .variance ? variance : variance.squareRoot()
                case .correlation:
                    let denominator = (state[b + 3] * state[b + 4]).squareRoot()
                    out[g] = denominator > 0 ? state[b + 5] / denominator : 0
                }
            }
        }
    }
}
