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

    /// Minimises `objective` (value and gradient at a point) from `start`.
    func minimize(from start: [Double], _ objective: ([Double]) -> (value: Double, gradient: [Double])) -> Result {
        var search = Search(self, from: start)
        while let point = search.point { search.observe(objective(point)) }
        return search.result
    }

    /// Minimises `objective` from `start` when its values take waiting for (statistics
    /// computed on a cluster's workers): the same iterates as `minimize` gives.
    func minimize(
        from start: [Double], _ objective: ([Double]) async throws -> (value: Double, gradient: [Double])
    ) async rethrows -> Result {
        var search = Search(self, from: start)
        while let point = search.point { search.observe(try await objective(point)) }
        return search.result
    }

    /// One minimisation as a state machine that asks for the objective at `point` and is
    /// told it (`observe`), so the same search runs whether the objective is computed here
    /// or waited for.
    struct Search {
        private let settings: LBFGS
        /// Where the objective is wanted next; nil when the search has ended.
        private(set) var point: [Double]?
        private var x: [Double]
        private var value = Double.infinity
        private var gradient: [Double] = []
        private var steps: [[Double]] = []
        private var changes: [[Double]] = []
        private var iteration = 0
        private var converged = false
        /// The line search under way: its direction, slope, step and points tried.
        private var line: (direction: [Double], slope: Double, step: Double, tries: Int)?

        /// A search from `start` (the first point asked for).
        init(_ settings: LBFGS, from start: [Double]) {
            self.settings = settings
            x = start
            point = start
        }

        /// Where the search ended (once `point` is nil).
        var result: Result { Result(x: x, value: value, iterations: iteration, converged: converged) }

        /// Takes the objective at `point` and moves on.
        mutating func observe(_ objective: (value: Double, gradient: [Double])) {
            guard let candidate = point else { return }
            guard let search = line else {  // The start's value.
                (value, gradient) = objective
                beginIteration()
                return
            }
            if objective.value.isFinite, objective.value <= value + 1e-4 * search.step * search.slope {
                accept(candidate, objective)
                return
            }
            guard search.tries < 60 else { return end(converged: true) }
            let step = search.step / 2
            line = (search.direction, search.slope, step, search.tries + 1)
            point = zip(x, search.direction).map { $0 + step * $1 }
        }

        /// Starts the next iteration's line search, or ends the search.
        private mutating func beginIteration() {
            guard iteration < settings.maxIterations else { return end(converged: false) }
            iteration += 1
            var direction = LBFGS.scaled(steps, changes, gradient).map { -$0 }
            var slope = dot(direction, gradient)
            if slope >= 0 {  // Not a descent direction (rounding): start again from the gradient.
                steps.removeAll()
                changes.removeAll()
                direction = gradient.map { -$0 }
                slope = -dot(gradient, gradient)
            }
            guard slope < 0 else { return end(converged: true) }
            // The first step has no curvature yet: a unit step along the gradient's direction.
            let step = steps.isEmpty ? 1 / Swift.max(1, dot(gradient, gradient).squareRoot()) : 1
            line = (direction, slope, step, 1)
            point = zip(x, direction).map { $0 + step * $1 }
        }

        /// Moves to the point the line search found and keeps its curvature pair.
        private mutating func accept(_ next: [Double], _ objective: (value: Double, gradient: [Double])) {
            let s = zip(next, x).map { $0 - $1 }
            let y = zip(objective.gradient, gradient).map { $0 - $1 }
            if dot(s, y) > 1e-10 * dot(y, y) {
                steps.append(s)
                changes.append(y)
                if steps.count > settings.memory {
                    steps.removeFirst()
                    changes.removeFirst()
                }
            }
            let decrease = value - objective.value
            (x, value, gradient) = (next, objective.value, objective.gradient)
            if decrease <= settings.tolerance * Swift.max(abs(value), 1) { return end(converged: true) }
            beginIteration()
        }

        private mutating func end(converged: Bool) {
            self.converged = converged
            point = nil
        }
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
