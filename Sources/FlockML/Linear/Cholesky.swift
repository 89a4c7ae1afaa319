/// Solves A x = b for a symmetric positive-definite A (row-major n x n) by the Cholesky
/// factorisation A = L Lᵀ: the normal equations of least squares. Returns nil when A is
/// not positive definite (a pivot at or below `tolerance` times the largest diagonal):
/// collinear or constant features without regularization.
enum Cholesky {
    static func solve(_ a: [Double], _ b: [Double], tolerance: Double = 1e-12) -> [Double]? {
        let n = b.count
        guard let l = factor(a, n: n, tolerance: tolerance) else { return nil }
        // L y = b, then Lᵀ x = y.
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var sum = b[i]
            for k in 0..<i { sum -= l[i * n + k] * y[k] }
            y[i] = sum / l[i * n + i]
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<n { sum -= l[k * n + i] * x[k] }
            x[i] = sum / l[i * n + i]
        }
        return x
    }

    /// The lower-triangular L (row-major n x n, zeros above the diagonal) with A = L Lᵀ, or
    /// nil when A is not positive definite.
    static func factor(_ a: [Double], n: Int, tolerance: Double = 1e-12) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        let scale = (0..<n).map { a[$0 * n + $0] }.max() ?? 0
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard sum > tolerance * Swift.max(scale, 1e-300) else { return nil }
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        return l
    }
}
