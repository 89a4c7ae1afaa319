import FlockTensor

/// Multi-head self-attention over [batch, time, dim] input: per head, softmax(q·kᵀ/√d)·v,
/// optionally causal (each position sees only itself and earlier ones, for language
/// models). Composed from matmul, softmax and reshapes, so its gradients come for free.
public final class MultiHeadSelfAttention: Module {
    /// Query, key, value and output projections.
    public let query: Linear, key: Linear, value: Linear, output: Linear
    /// Number of heads (dim must be a multiple).
    public let heads: Int
    /// Whether attention is masked to earlier positions.
    public let causal: Bool

    /// Creates attention over `dimension`-wide embeddings split into `heads` heads.
    public init(dimension: Int, heads: Int, causal: Bool = true) {
        query = Linear(dimension, dimension)
        key = Linear(dimension, dimension)
        value = Linear(dimension, dimension)
        output = Linear(dimension, dimension)
        self.heads = max(heads, 1)
        self.causal = causal
    }

    public override func forward(_ input: Variable) throws -> Variable {
        guard input.shape.count == 3, input.shape[2] % heads == 0, input.shape[2] == query.weight.value.shape[1] else {
            throw ModuleError.invalidInput(
                module: "MultiHeadSelfAttention",
                reason:
                    "expected [batch, time, \(query.weight.value.shape[1])] input divisible into \(heads) heads, got \(input.shape)"
            )
        }
        let (batch, time, dimension) = (input.shape[0], input.shape[1], input.shape[2])
        let headSize = dimension / heads
        func split(_ x: Variable) throws -> Variable {
            try x.reshaped([batch, time, heads, headSize]).permuted([0, 2, 1, 3])  // [B, H, T, d]
        }
        let (q, k, v) = (try split(query(input)), try split(key(input)), try split(value(input)))
        var scores = try q.matmul(k.T) * (1 / Double(headSize).squareRoot())  // [B, H, T, T]
        if causal { scores = try scores + Variable(Self.causalMask(time)) }
        let attended = try scores.softmax(axis: -1).matmul(v)  // [B, H, T, d]
        return try output(attended.permuted([0, 2, 1, 3]).reshaped([batch, time, dimension]))
    }

    /// [T, T] with 0 on and below the diagonal and a large negative value above it.
    static func causalMask(_ time: Int) -> Tensor {
        var values = [Float](repeating: 0, count: time * time)
        for row in 0..<time { for column in (row + 1)..<max(time, row + 1) { values[row * time + column] = -1e9 } }
        // Invariant: the count matches the shape.
        return try! Tensor(values, shape: [time, time])
    }
}

/// A pre-norm transformer block: x + attention(norm(x)), then x + MLP(norm(x)) with a
/// GELU MLP four times wider than the model.
public final class TransformerBlock: Module {
    /// The attention sub-layer and its normalisation.
    public let attentionNorm: LayerNorm, attention: MultiHeadSelfAttention
    /// The MLP sub-layer (dim -> 4 dim -> dim) and its normalisation.
    public let mlpNorm: LayerNorm, expand: Linear, activation: GELU, contract: Linear
    /// Dropout on both residual branches.
    public let dropout: Dropout

    /// Creates a block of width `dimension` with `heads` attention heads.
    public init(dimension: Int, heads: Int, causal: Bool = true, dropout: Double = 0) {
        attentionNorm = LayerNorm([dimension])
        attention = MultiHeadSelfAttention(dimension: dimension, heads: heads, causal: causal)
        mlpNorm = LayerNorm([dimension])
        expand = Linear(dimension, 4 * dimension)
        activation = GELU()
        contract = Linear(4 * dimension, dimension)
        self.dropout = Dropout(dropout)
    }

    public override func forward(_ input: Variable) throws -> Variable {
        let x = try input + dropout(attention(attentionNorm(input)))
        return try x + dropout(contract(activation(expand(mlpNorm(x)))))
    }
}
