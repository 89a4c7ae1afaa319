/// Count, means and centred second moments of `width` variables, per variable or for every
/// pair: the statistic behind scaling, linear regression and regression metrics. Blocks
/// merge exactly as Chan, Golub and LeVeque merge variances, so no sum of squares of large
/// values is ever subtracted from another.
struct Moments: Sendable {
    var count = 0
    var means: [Double]
    /// Σ (x_i - mean_i)(x_j - mean_j): `width` entries (i == j only) or `width * width`
    /// (row-major, every pair) when `pairs`.
    var comoments: [Double]
    let pairs: Bool

    /// No rows yet.
    init(width: Int, pairs: Bool) {
        means = [Double](repeating: 0, count: width)
        comoments = [Double](repeating: 0, count: pairs ? width * width : width)
        self.pairs = pairs
    }

    var width: Int { means.count }

    /// The moments of rows `range` of `matrix`, row-major with `width` columns.
    init(_ matrix: UnsafeBufferPointer<Double>, width: Int, rows range: Range<Int>, pairs: Bool) {
        self.init(width: width, pairs: pairs)
        count = range.count
        guard count > 0 else { return }
        for row in range {
            for j in 0..<width { means[j] += matrix[row * width + j] }
        }
        for j in 0..<width { means[j] /= Double(count) }
        var centred = [Double](repeating: 0, count: width)
        for row in range {
            for j in 0..<width { centred[j] = matrix[row * width + j] - means[j] }
            if pairs {
                for i in 0..<width {
                    let a = centred[i]
                    for j in i..<width { comoments[i * width + j] += a * centred[j] }
                }
            } else {
                for j in 0..<width { comoments[j] += centred[j] * centred[j] }
            }
        }
        if pairs {  // The lower triangle mirrors the upper.
            for i in 0..<width { for j in 0..<i { comoments[i * width + j] = comoments[j * width + i] } }
        }
    }

    /// The moments of both blocks' rows together.
    static func merged(_ a: Moments, _ b: Moments) -> Moments {
        guard a.count > 0 else { return b }
        guard b.count > 0 else { return a }
        var result = a
        let n = Double(a.count + b.count)
        let weight = Double(a.count) * Double(b.count) / n
        let delta = (0..<a.width).map { b.means[$0] - a.means[$0] }
        result.count = a.count + b.count
        for j in 0..<a.width { result.means[j] = a.means[j] + delta[j] * Double(b.count) / n }
        if a.pairs {
            for i in 0..<a.width {
                for j in 0..<a.width {
                    result.comoments[i * a.width + j] += b.comoments[i * a.width + j] + delta[i] * delta[j] * weight
                }
            }
        } else {
            for j in 0..<a.width { result.comoments[j] += b.comoments[j] + delta[j] * delta[j] * weight }
        }
        return result
    }

    /// The moments of all rows of `matrix`, combined in `BlockReduction`'s fixed order.
    static func of(_ matrix: [Double], width: Int, pairs: Bool) -> Moments {
        let rows = width == 0 ? 0 : matrix.count / width
        return matrix.withUnsafeBufferPointer { values in
            BlockReduction.reduce(rows: rows, { Moments(values, width: width, rows: $0, pairs: pairs) }, merged)
        }
    }

    /// The sample variance of variable `j` (n - 1 in the denominator; 0 for one row).
    func variance(_ j: Int) -> Double {
        let sum = pairs ? comoments[j * width + j] : comoments[j]
        return count > 1 ? sum / Double(count - 1) : 0
    }
}
