import FlockData

/// The top k eigenpairs of a symmetric positive semi-definite matrix by randomized
/// subspace iteration (Halko, Martinsson and Tropp, "Finding structure with randomness",
/// 2011, algorithms 4.4 and 5.3): a seeded random block of k + 10 vectors is multiplied
/// by the matrix and orthonormalized again and again until the block spans the top
/// eigenvectors; the small projected matrix's eigenpairs (`SymmetricEigen`) then give
/// them. It costs O(n² (k + 10)) a step where the full decomposition costs O(n³) a sweep,
/// so `PCA` takes it when the features are many and k few. Deterministic for a seed.
enum SubspaceIteration {
    /// Extra vectors beyond k: the block's slack, which speeds convergence.
    static let oversampling = 10

    /// The `k` largest eigenvalues of `matrix` (n x n, row-major, symmetric) and their
    /// unit eigenvectors, signed as `SymmetricEigen` signs them. Steps stop when the top
    /// k Ritz values change by less than 1e-14 of the largest between two steps (at most
    /// `maxSteps`).
    static func top(_ k: Int, of matrix: [Double], n: Int, seed: UInt64, maxSteps: Int = 300)
        -> (values: [Double], vectors: [[Double]])
    {
        let width = Swift.min(n, k + oversampling)
        var random = RandomStream(seed: seed)
        var block = (0..<width).map { _ in (0..<n).map { _ in random.normal() } }
        orthonormalize(&block)
        var previous = [Double](repeating: .infinity, count: k)
        var ritz: (values: [Double], vectors: [[Double]])
        var step = 0
        while true {
            let product = block.map { multiply(matrix, $0, n: n) }
            // Qᵀ A Q, whose eigenpairs are the Ritz pairs of this block.
            ritz = SymmetricEigen.decompose(
                (0..<width).flatMap { a in (0..<width).map { b in dot(block[a], product[b]) } }, n: width)
            let values = ritz.values.prefix(k)
            let largest = Swift.max(abs(values.first ?? 0), .leastNormalMagnitude)
            let settled = zip(values, previous).allSatisfy { abs($0 - $1) <= 1e-14 * largest }
            if (settled && step >= 2) || step == maxSteps - 1 { break }
            previous = Array(values)
            block = product
            orthonormalize(&block)
            step += 1
        }
        let vectors = ritz.vectors.prefix(k).map { weights in
            var vector = [Double](repeating: 0, count: n)
            for (m, weight) in weights.enumerated() {
                for i in 0..<n { vector[i] += weight * block[m][i] }
            }
            return SymmetricEigen.signed(vector)
        }
        return (Array(ritz.values.prefix(k)), vectors)
    }

    /// `matrix` (n x n, row-major) times `vector`.
    private static func multiply(_ matrix: [Double], _ vector: [Double], n: Int) -> [Double] {
        (0..<n).map { row in dot(matrix[row * n..<(row + 1) * n], vector) }
    }

    /// Modified Gram-Schmidt, twice (once is not enough in floating point for vectors as
    /// close to parallel as power steps make them); a vector left with no length becomes 0.
    private static func orthonormalize(_ vectors: inout [[Double]]) {
        for _ in 0..<2 {
            for i in vectors.indices {
                for j in 0..<i {
                    let projection = dot(vectors[i], vectors[j])
                    for t in vectors[i].indices { vectors[i][t] -= projection * vectors[j][t] }
                }
                let length = dot(vectors[i], vectors[i]).squareRoot()
                let scale = length > 0 ? 1 / length : 0
                for t in vectors[i].indices { vectors[i][t] *= scale }
            }
        }
    }
}
