import FlockTensor

extension Variable {
    /// Sum over `axes` (all when nil); the gradient broadcasts back.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Variable {
        let shape = self.shape
        let resolved = axes ?? Array(0..<shape.count)
        let result = try value.sum(axes: axes, keepDims: keepDims)
        return Variable.record("sum", result, inputs: [self]) { g in
            [try Variable.expandReduced(g, from: shape, axes: resolved, keptDims: keepDims)]
        }
    }

    /// Mean over `axes` (all when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Variable {
        let resolved = (axes ?? Array(0..<shape.count)).map { $0 < 0 ? $0 + shape.count : $0 }
        let count = resolved.reduce(1) { $0 * (($1 >= 0 && $1 < shape.count) ? shape[$1] : 1) }
        return try sum(axes: axes, keepDims: keepDims) / Double(Swift.max(count, 1))
    }

    /// log(softmax(x)) along `axis`. A primitive (not composed) because its gradient,
    /// g - softmax(x) * sum(g), is cheaper and more stable than the composed one.
    public func logSoftmax(axis: Int = -1) throws -> Variable {
        let y = try value.logSoftmax(axis: axis)
        return Variable.record("logSoftmax", y, inputs: [self]) { g in
            [try g - y.exp() * g.sum(axes: [axis], keepDims: true)]
        }
    }

    /// Softmax along `axis`, as exp(logSoftmax).
    public func softmax(axis: Int = -1) throws -> Variable {
        try logSoftmax(axis: axis).exp()
    }

    /// Picks values along `axis` by an integer index tensor (see `Tensor.gather`); the
    /// gradient scatters back, adding where an index repeats.
    public func gather(axis: Int, index: Tensor) throws -> Variable {
        let x = value
        return Variable.record("gather", try x.gather(axis: axis, index: index), inputs: [self]) { g in
            [try x.zerosLike().scattered(axis: axis, index: index, source: g, accumulate: true)]
        }
    }

    /// Broadcasts a reduced gradient back to the input's shape.
    static func expandReduced(_ gradient: Tensor, from shape: [Int], axes: [Int], keptDims: Bool) throws -> Tensor {
        var g = gradient
        if !keptDims {
            let rank = shape.count
            for axis in axes.map({ $0 < 0 ? $0 + rank : $0 }).sorted() { g = try g.unsqueezed(axis) }
        }
        return try g.expanded(to: shape).contiguous()
    }
}
