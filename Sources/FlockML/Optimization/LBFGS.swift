/// Limited-memory BFGS (Nocedal and Wright, "Numerical Optimization", algorithms 7.4 and
/// 7.5): minimises a smooth function given its value and gradient, keeping the last
/// `memory` steps and gradient changes as its picture of the curvature. Each step is
/// searched by backtracking until the Armijo condition holds (a sufficient decrease); a
/// pair whose curvature is not positive is skipped, so the picture stays positive
/// definite. Deterministic: the same function gives the same iterates.
///
/// With an `l1` penalty it is OWL-QN (Andrew and Gao, "Scalable Training of L1-Regularized
/// Log-Linear Models", 2007), which minimises f(x) + Σ l1_i |x_i|: the search runs on the
/// pseudo-gradient (the steepest descent of the penalised function, 0 where no move
/// lowers it), the direction is kept within the orthant the pseudo-gradient points into,
/// and a trial point's coordinates that cross zero stop at zero, so weights become exactly
/// 0. The curvature pairs are built from the smooth part's gradients alone.
struct LBFGS {
    /// Step and gradient-change pairs kept.
    var memory = 10
    var maxIterations = 100
    /// Converged when an iteration lowers the value by at most this, relative to it.
    var tolerance = 1e-6
    /// Each coordinate's L1 penalty (0: not penalised); nil: none (plain L-BFGS).
    var l1: [Double]? = nil

    /// Where the search ended.
    struct Result {
        let x: [Double]
        let value: Double
        let iterations: Int
        let converged: Bool
    }

    /// Minimises `objective` (value and gradient at a point) from `start`.
    /// `progress`, when given, gets a line per iteration (its number, the value, the time).
    func minimize(
        from start: [Double], progress: ProgressLines? = nil,
        _ objective: ([Double]) -> (value: Double, gradient: [Double])
    ) -> Result {
        var search = Search(self, from: start)
        while let point = search.point {
            search.observe(objective(point))
            search.report(to: progress)
        }
        return search.result
    }

    /// Minimises `objective` from `start` when its values take waiting for (statistics
    /// computed on a cluster's workers): the same iterates as `minimize` gives.
    func minimize(
        from start: [Double], progress: ProgressLines? = nil,
        _ objective: ([Double]) async throws -> (value: Double, gradient: [Double])
    ) async rethrows -> Result {
        var search = Search(self, from: start)
        while let point = search.point {
            search.observe(try await objective(point))
            search.report(to: progress)
        }
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
        /// The line search under way.
        private var line: Line?

        /// A line search: its direction, the slope of the objective along it, the step
        /// tried and how many points; with L1, the pseudo-gradient and the orthant (the
        /// sign each penalised coordinate may take; 0: free).
        private struct Line {
            var direction: [Double]
            var slope: Double
            var step: Double
            var tries: Int
            var pseudoGradient: [Double]
            var orthant: [Double]
        }

        /// A search from `start` (the first point asked for).
        init(_ settings: LBFGS, from start: [Double]) {
            self.settings = settings
            x = start
            point = start
        }

        /// Iterations reported so far.
        private var reported = 0

        /// Tells `progress` of an iteration that ended since the last report.
        mutating func report(to progress: ProgressLines?) {
            guard let progress, accepted > reported else { return }
            reported = accepted
            progress.line("iteration \(accepted)/\(settings.maxIterations): loss \(value)")
        }

        /// Iterations that moved x.
        private var accepted = 0

        /// Where the search ended (once `point` is nil).
        var result: Result { Result(x: x, value: value, iterations: iteration, converged: converged) }

        /// Takes the objective at `point` and moves on.
        mutating func observe(_ objective: (value: Double, gradient: [Double])) {
            guard let candidate = point else { return }
            let total = objective.value + penalty(candidate)
            guard var search = line else {  // The start's value.
                (value, gradient) = (total, objective.gradient)
                beginIteration()
                return
            }
            // Armijo: along the direction, or (OWL-QN) along the projected step taken.
            let expected =
                settings.l1 == nil
                ? search.step * search.slope : dot(search.pseudoGradient, zip(candidate, x).map { $0 - $1 })
            if total.isFinite, total <= value + 1e-4 * expected {
                accept(candidate, (total, objective.gradient))
                return
            }
            guard search.tries < 60 else { return end(converged: true) }
            search.step /= 2
            search.tries += 1
            line = search
            point = trial(search)
        }

        /// Σ l1_i |x_i| (0 without L1).
        private func penalty(_ point: [Double]) -> Double {
            guard let l1 = settings.l1 else { return 0 }
            return zip(l1, point).reduce(0) { $0 + $1.0 * abs($1.1) }
        }

        /// The point `line`'s step reaches: with L1, penalised coordinates that leave their
        /// orthant stop at 0.
        private func trial(_ line: Line) -> [Double] {
            var next = zip(x, line.direction).map { $0 + line.step * $1 }
            if let l1 = settings.l1 {
                for i in next.indices where l1[i] > 0 && next[i] * line.orthant[i] <= 0 { next[i] = 0 }
            }
            return next
        }

        /// The steepest descent of f + Σ l1_i |x_i| at x, negated: the gradient plus the
        /// penalty's slope on the side a move would go (0 when neither side descends).
        private func pseudoGradient() -> [Double] {
            guard let l1 = settings.l1 else { return gradient }
            return gradient.indices.map { i in
                let (g, penalty) = (gradient[i], l1[i])
                guard penalty > 0 else { return g }
                if x[i] > 0 { return g + penalty }
                if x[i] < 0 { return g - penalty }
                if g + penalty < 0 { return g + penalty }
                if g - penalty > 0 { return g - penalty }
                return 0
            }
        }

        /// Starts the next iteration's line search, or ends the search.
        private mutating func beginIteration() {
            guard iteration < settings.maxIterations else { return end(converged: false) }
            iteration += 1
            let descent = pseudoGradient()
            var direction = LBFGS.scaled(steps, changes, descent).map { -$0 }
            if let l1 = settings.l1 {  // Stay in the orthant the pseudo-gradient points into.
                for i in direction.indices where l1[i] > 0 && direction[i] * descent[i] >= 0 { direction[i] = 0 }
            }
            var slope = dot(direction, descent)
            if slope >= 0 {  // Not a descent direction (rounding): start again from the gradient.
                steps.removeAll()
                changes.removeAll()
                direction = descent.map { -$0 }
                slope = -dot(descent, descent)
            }
            guard slope < 0 else { return end(converged: true) }
            let orthant = x.indices.map { i -> Double in
                guard settings.l1 != nil else { return 0 }
                return x[i] != 0 ? (x[i] > 0 ? 1 : -1) : (descent[i] < 0 ? 1 : descent[i] > 0 ? -1 : 0)
            }
            // The first step has no curvature yet: a unit step along the gradient's direction.
            let step = steps.isEmpty ? 1 / Swift.max(1, dot(descent, descent).squareRoot()) : 1
            let search = Line(
                direction: direction, slope: slope, step: step, tries: 1, pseudoGradient: descent, orthant: orthant)
            line = search
            point = trial(search)
        }

        /// Moves to the point the line search found (its penalised value and smooth
        /// gradient) and keeps its curvature pair.
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
            accepted += 1
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
