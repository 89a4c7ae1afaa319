import Foundation

/// The eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations
/// (Golub and Van Loan, "Matrix Computations", 8.5): each rotation zeroes one off-diagonal
/// pair; sweeps repeat until the off-diagonal part is negligible. Accurate to rounding for
/// any symmetric matrix, and deterministic; O(n³) a sweep, meant for Gramians of up to a
/// few hundred features.
enum SymmetricEigen {
    /// The eigenvalues of `matrix` (n x n, row-major, symmetric) from the largest down,
    /// and their unit eigenvectors (row i of `vectors` belongs to value i), each signed so
    /// that its largest entry (by magnitude; the first of equals) is positive.
    static func decompose(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [[Double]]) {
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let scale = a.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in 0..<n where q != p { off += a[p * n + q] * a[p * n + q] } }
            if off <= 1e-30 * scale || off == 0 { break }
            for p in 0..<n - 1 {
                for q in (p + 1)..<n where a[p * n + q] != 0 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<n {  // A J: columns p and q.
                        let (kp, kq) = (a[k * n + p], a[k * n + q])
                        a[k * n + p] = c * kp - s * kq
                        a[k * n + q] = s * kp + c * kq
                    }
                    for k in 0..<n {  // Jᵀ (A J): rows p and q.
                        let (pk, qk) = (a[p * n + k], a[q * n + k])
                        a[p * n + k] = c * pk - s * qk
                        a[q * n + k] = s * pk + c * qk
                    }
                    for k in 0..<n {  // V J.
                        let (kp, kq) = (v[k * n + p], v[k * n + q])
                        v[k * n + p] = c * kp - s * kq
                        v[k * n + q] = s * kp + c * kq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] || (a[$0 * n + $0] == a[$1 * n + $1] && $0 < $1) }
        let vectors = order.map { i in signed((0..<n).map { v[$0 * n + i] }) }
        return (order.map { a[$0 * n + $0] }, vectors)
    }

    /// `vector` or its negation, whichever has its largest entry (by magnitude; the first
    /// of equals) positive: the sign convention of every eigenvector here.
    static func signed(_ vector: [Double]) -> [Double] {
        guard var largest = vector.indices.first else { return vector }
        for k in vector.indices.dropFirst() where abs(vector[k]) > abs(vector[largest]) { largest = k }
        return vector[largest] < 0 ? vector.map { -$0 } : vector
    }
}
