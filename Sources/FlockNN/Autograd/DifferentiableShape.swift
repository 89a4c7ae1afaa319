import FlockTensor

extension Variable {
    /// The same elements with another shape (one size may be -1).
    public func reshaped(_ shape: [Int]) throws -> Variable {
        let original = self.shape
        return Variable.record("reshape", try value.reshaped(shape), inputs: [self]) { g in [try g.reshaped(original)] }
    }

    /// The elements as [batch, rest]: keeps the first axis, flattens the others.
    public func flattenedBatch() throws -> Variable {
        try reshaped([shape.first ?? 1, -1])
    }

    /// Axes reordered: axis i of the result is axis `order[i]` of this one.
    public func permuted(_ order: [Int]) throws -> Variable {
        let rank = shape.count
        let resolved = order.map { $0 < 0 ? $0 + rank : $0 }
        var inverse = [Int](repeating: 0, count: rank)
        for (position, axis) in resolved.enumerated() where axis >= 0 && axis < rank { inverse[axis] = position }
        return Variable.record("permute", try value.permuted(order), inputs: [self]) { g in [try g.permuted(inverse)] }
    }

    /// Two axes swapped.
    public func transposed(_ axis0: Int, _ axis1: Int) throws -> Variable {
        Variable.record("transpose", try value.transposed(axis0, axis1), inputs: [self]) { g in
            [try g.transposed(axis0, axis1)]
        }
    }

    /// The transpose of a matrix (last two axes swapped).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    public var T: Variable {
        Variable.record("T", value.T, inputs: [self]) { g in [g.T] }
    }

    /// A slice along one axis (see `Tensor.sliced`); the gradient is zero outside it.
    public func sliced(axis: Int, start: Int? = nil, end: Int? = nil, step: Int = 1) throws -> Variable {
        let x = value
        return Variable.record("slice", try x.sliced(axis: axis, start: start, end: end, step: step), inputs: [self]) {
            g in
            var full = x.zerosLike(dtype: g.dtype)
            try full.assign(g, axis: axis, start: start, end: end, step: step)
            return [full]
        }
    }

    /// Joins variables along an axis; the gradient is split back.
    public static func concatenate(_ variables: [Variable], axis: Int = 0) throws -> Variable {
        let joined = try Tensor.concatenate(variables.map(\.value), axis: axis)
        let rank = joined.rank
        let resolved = axis < 0 ? axis + rank : axis
        let sizes = variables.map { $0.shape[resolved] }
        return record("concatenate", joined, inputs: variables) { g in
            try g.split(sizes: sizes, axis: resolved).map { $0.contiguous() }
        }
    }
}
