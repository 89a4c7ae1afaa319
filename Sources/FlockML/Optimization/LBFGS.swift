/// Limited-memory BFGS (Nocedal and Wright, "Numerical Optimization", algorithms 7.4 and
/// 7.5): minimises a smooth function given its value and gradient, keeping the last
/// `memory` steps and gradient changes as its picture of the curvature. Each step is
/// searched by backtracking until the Armijo condition holds (a sufficient decrease); a
/// pair whose curvature is not positive is skipped, so the picture stays positive
/// definite. Deterministic: the same function gives the same iterates.
struct LBFGS {
    /// Step and gradient-change pairs kept.
    var memory = 10
    var maxIterations = 100
    /// Converged when an iteration lowers the value by at most this, relative to it.
    var tolerance = 1e-6

    /// Where the search ended.
    struct Result {
        let x: [Double]
        let value: Double
        let iterations: Int
        let converged: Bool
    }

    /// Minimises `objective` (value and gradient at a point) from `start`; `progress` is told
    /// each iteration's number and value.
    func minimize(
        from start: [Double], _ objective: ([Double]) -> (value: Double, gradient: [Double]),
        progress: (Int, Double) -> Void = { _, _ in }
    ) -> Result {
        var x = start
        var (value, gradient) = objective(x)
        var steps: [[Double]] = []
        var changes: [[Double]] = []
        var iteration = 0
        while iteration < maxIterations {
            iteration += 1
            let direction = Self.scaled(steps, changes, gradient).map { -$0 }
            var slope = dot(direction, gradient)
            var searchDirection = direction
            if slope >= 0 {  // Not a descent direction (rounding): start again from the gradient.
                steps.removeAll()
                changes.removeAll()
                searchDirection = gradient.map { -$0 }
                slope = -dot(gradient, gradient)
            }
            guard slope < 0 else { return Result(x: x, value: value, iterations: iteration, converged: true) }
            // The first step has no curvature yet: a unit step along the gradient's direction.
            var step = steps.isEmpty ? 1 / Swift.max(1, dot(gradient, gradient).squareRoot()) : 1
            var next: (x: [Double], value: Double, gradient: [Double])?
            for _ in 0..<60 {
                let candidate = zip(x, searchDirection).map { $0 + step * $1 }
                let (candidateValue, candidateGradient) = objective(candidate)
                if candidateValue.isFinite, candidateValue <= value + 1e-4 * step * slope {
                    next = (candidate, candidateValue, candidateGradient)
                    break
                }
                step /= 2
            }
            guard let next else { return Result(x: x, value: value, iterations: iteration, converged: true) }
            let s = zip(next.x, x).map { $0 - $1 }
            let y = zip(next.gradient, gradient).map { $0 - $1 }
            if dot(s, y) > 1e-10 * dot(y, y) {
                steps.append(s)
                changes.append(y)
                if steps.count > memory {
                    steps.removeFirst()
                    changes.removeFirst()
                }
            }
            let decrease = value - next.value
            (x, value, gradient) = next
            progress(iteration, value)
            if decrease <= tolerance * Swift.max(abs(value), 1) {
                return Result(x: x, value: value, iterations: iteration, converged: true)
            }
        }
        return Result(x: x, value: value, iterations: iteration, converged: false)
    }

    /// The inverse-curvature picture applied to `gradient` (the two-loop recursion).
    private static func scaled(_ steps: [[Double]], _ changes: [[Double]], _ gradient: [Double]) -> [Double] {
        var q = gradient
        var alphas = [Double](repeating: 0, count: steps.count)
        for i in stride(from: steps.count - 1, through: 0, by: -1) {
            let rho = 1 / dot(changes[i], steps[i])
            alphas[i] = rho * dot(steps[i], q)
            for j in q.indices { q[j] -= alphas[i] * changes[i][j] }
        }
        if let s = steps.last, let y = changes.last {
            let gamma = dot(s, y) / dot(y, y)
            for j in q.indices { q[j] *= gamma }
        }
        for i in steps.indices {
            let rho = 1 / dot(changes[i], steps[i])
            let beta = rho * dot(changes[i], q)
            for j in q.indices { q[j] += (alphas[i] - beta) * steps[i][j] }
        }
        return q
    }
}

/// Σ a_i b_i, summed in order (arrays, or an array and a row's slice, alike).
func dot<A: Collection<Double>, B: Collection<Double>>(_ a: A, _ b: B) -> Double {
    zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
}
