import FlockTensor

/// A lookup table of learned vectors: integer indices of any shape -> their rows.
public final class Embedding: Module {
    /// The table, [count, dimension], initialised N(0, 1) as in PyTorch.
    public let weight: Parameter

    /// Creates `count` vectors of `dimension` values.
    public init(_ count: Int, _ dimension: Int) {
        weight = Parameter(
            GlobalRandom.withGenerator { generator in
                // Invariant: the sizes are non-negative.
                try! Tensor.randomNormal([count, dimension], generator: &generator)
            })
    }

    /// Looks up integer indices (the input's value); the result has shape indices + [dim].
    public override func forward(_ input: Variable) throws -> Variable {
        guard input.dtype.isInteger else {
            throw ModuleError.invalidInput(
                module: "Embedding", reason: "indices must be int32 or int64, got \(input.dtype)")
        }
        return try weight.variable.rows(input.value)
    }
}

extension Variable {
    /// Rows of a [count, dim] matrix picked by integer indices of any shape; the gradient
    /// adds back into the picked rows.
    public func rows(_ indices: Tensor) throws -> Variable {
        let table = value
        let flat = indices.casted(to: .int64).flattened()
        let picked = try table.indexSelect(axis: 0, indices: flat)
        let result = try picked.reshaped(indices.shape + [table.shape[1]])
        return Variable.record("rows", result, inputs: [self]) { g in
            let index = try flat.unsqueezed(1).expanded(to: [flat.count, table.shape[1]])
            let source = try g.reshaped([flat.count, table.shape[1]])
            return [try table.zerosLike().scattered(axis: 0, index: index, source: source, accumulate: true)]
        }
    }
}
