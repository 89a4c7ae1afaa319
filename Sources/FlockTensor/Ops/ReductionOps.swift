private struct SumVisitor: NumericTypeVisitor {
    let x: Tensor
    let axes: [Int]
    let keepDims: Bool
    func visit<T: NumericElement>(_: T.Type) -> Tensor {
        switch T.dtype {
        case .float32: reduce(SumReducer<T, Float>.self, x, axes: axes, keepDims: keepDims)
        case .float64: reduce(SumReducer<T, Double>.self, x, axes: axes, keepDims: keepDims)
        default: reduce(IntegerSumReducer<T>.self, x, axes: axes, keepDims: keepDims)
        }
    }
}

private struct ExtremumVisitor<Direction: ExtremumDirection>: NumericTypeVisitor {
    let x: Tensor
    let axes: [Int]
    let keepDims: Bool
    let wantsIndex: Bool
    func visit<T: NumericElement>(_: T.Type) -> Tensor {
        wantsIndex
            ? reduce(ExtremumReducer<Direction, PickIndex<T>>.self, x, axes: axes, keepDims: keepDims)
            : reduce(ExtremumReducer<Direction, PickValue<T>>.self, x, axes: axes, keepDims: keepDims)
    }
}

extension Tensor {
    /// The axes a reduction runs over: all when nil, else the normalised list.
    private func reductionAxes(_ axes: [Int]?, op: String) throws -> [Int] {
        guard let axes else { return Array(0..<rank) }
        return try normalizeAxes(axes, rank: rank, op: op)
    }

    /// Sum over `axes` (all when nil). Floats accumulate in double precision; integers
    /// and bools sum to int64. With `keepDims` the reduced axes stay with size 1.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let axes = try reductionAxes(axes, op: "sum")
        let x = numeric
        return try x.dtype.visitNumeric(SumVisitor(x: x, axes: axes, keepDims: keepDims), op: "sum")
    }

    /// Mean over `axes` (all when nil), in floating point. The mean of nothing is NaN.
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let resolved = try reductionAxes(axes, op: "mean")
        let n = resolved.reduce(1) { $0 * shape[$1] }
        let total = try casted(to: dtype.floatingCounterpart).sum(axes: resolved, keepDims: keepDims)
        return try total / Double(n)
    }

    /// Variance over `axes` (all when nil), dividing by `n - correction` (1: the unbiased
    /// estimate, PyTorch's default; 0: the population variance).
    public func variance(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) throws -> Tensor {
        let resolved = try reductionAxes(axes, op: "variance")
        let n = resolved.reduce(1) { $0 * shape[$1] }
        let x = casted(to: dtype.floatingCounterpart)
        let deviation = try x - x.mean(axes: resolved, keepDims: true)
        let squares = try (deviation * deviation).sum(axes: resolved, keepDims: keepDims)
        return try squares / Double(Swift.max(n - correction, 0))
    }

    /// Largest element over `axes` (all when nil); NaN propagates.
    /// - Throws: when a reduced axis is empty (a maximum of nothing has no value).
    public func max(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try extremum(Largest.self, axes: reductionAxes(axes, op: "max"), keepDims: keepDims, index: false, op: "max")
    }

    /// Smallest element over `axes` (all when nil); NaN propagates.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try extremum(Smallest.self, axes: reductionAxes(axes, op: "min"), keepDims: keepDims, index: false, op: "min")
    }

    /// Position (int64) of the first largest element along `axis`, or in the flattened
    /// tensor when nil.
    public func argmax(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        guard let axis else { return try flattened().argmax(axis: 0) }
        return try extremum(
            Largest.self, axes: [normalizeAxis(axis, rank: rank, op: "argmax")], keepDims: keepDims, index: true,
            op: "argmax")
    }

    /// Position (int64) of the first smallest element along `axis`, or in the flattened
    /// tensor when nil.
    public func argmin(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        guard let axis else { return try flattened().argmin(axis: 0) }
        return try extremum(
            Smallest.self, axes: [normalizeAxis(axis, rank: rank, op: "argmin")], keepDims: keepDims, index: true,
            op: "argmin")
    }

    /// log(sum(exp(x))) over `axes`, computed stably by subtracting the maximum first.
    public func logsumexp(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let resolved = try reductionAxes(axes, op: "logsumexp")
        let x = casted(to: dtype.floatingCounterpart)
        let peak = try x.max(axes: resolved, keepDims: true)
        // An infinite maximum (all -inf, or +inf present) would give inf - inf = NaN.
        let shift = try Tensor.where(peak.abs() .== Double.infinity, peak.zerosLike(), peak)
        let total = try (x - shift).exp().sum(axes: resolved, keepDims: true)
        let result = try total.log() + shift
        return keepDims ? result : try result.squeezed(axes: resolved)
    }

    /// A view without the given size-1 axes.
    func squeezed(axes: [Int]) throws -> Tensor {
        var result = self
        for axis in axes.sorted(by: >) { result = try result.squeezed(axis) }
        return result
    }

    private func extremum<Direction: ExtremumDirection>(
        _: Direction.Type, axes: [Int], keepDims: Bool, index: Bool, op: String
    ) throws -> Tensor {
        if let empty = axes.first(where: { shape[$0] == 0 }) {
            throw TensorError.invalidShape(op: op, shape: shape, reason: "axis \(empty) is empty, so there is no \(op)")
        }
        let x = numeric
        return try x.dtype.visitNumeric(
            ExtremumVisitor<Direction>(x: x, axes: axes, keepDims: keepDims, wantsIndex: index), op: op)
    }
}
