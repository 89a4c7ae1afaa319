import Testing

@testable import FlockNN
@testable import FlockTensor

/// Converts a module's parameters and buffers to float64 for finite-difference checks.
func toFloat64<M: Module>(_ module: M) -> M {
    for parameter in module.parameters() { parameter.value = parameter.value.casted(to: .float64) }
    for (_, buffer) in module.namedBuffers() { buffer.value = buffer.value.casted(to: .float64) }
    return module
}

@Suite("Layer gradients match finite differences (float64)")
struct LayerGradientTests {
    var generator = RandomGenerator(seed: 5)

    mutating func input(_ shape: [Int]) -> Parameter {
        Parameter(try! Tensor.randomUniform(shape, low: -1, high: 1, dtype: .float64, generator: &generator))
    }

    @Test("conv2d: input, weight and bias, with stride, padding, dilation and groups")
    mutating func convolution() throws {
        GlobalRandom.seed(1)
        for (shape, conv) in [
            ([2, 2, 6, 6], Conv2d(2, 3, kernelSize: (3, 3))),
            (
                [1, 4, 7, 5],
                Conv2d(4, 4, kernelSize: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (1, 2), groups: 2)
            ),
        ] {
            let x = input(shape)
            let layer = toFloat64(conv)
            try checkGradients([x] + layer.parameters()) { try layer(x.variable) }
            // Fed with data (no input gradient wanted), as a first layer is.
            try checkGradients(layer.parameters()) { try layer(Variable(x.value)) }
        }
    }

    @Test("max and average pooling")
    mutating func pooling() throws {
        let x = input([2, 2, 5, 5])
        try checkGradients([x]) { try x.variable.maxPool2d(kernel: (2, 2), stride: (2, 2), padding: (1, 1)) }
        try checkGradients([x]) { try x.variable.maxPool2d(kernel: (3, 3), stride: (1, 1)) }
        try checkGradients([x]) { try x.variable.avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        try checkGradients([x]) { try x.variable.avgPool2d(kernel: (2, 2), padding: (1, 1), countPadding: false) }
    }

    @Test("LayerNorm, BatchNorm (training and evaluation) and Embedding")
    mutating func normalization() throws {
        GlobalRandom.seed(2)
        let x = input([4, 3, 5])
        let layerNorm = toFloat64(LayerNorm([5]))
        layerNorm.weight.value = try Tensor.randomNormal([5], dtype: .float64, generator: &generator)
        try checkGradients([x] + layerNorm.parameters()) { try layerNorm(x.variable) }
        let batchNorm = toFloat64(BatchNorm(3))
        try checkGradients([x] + batchNorm.parameters()) { try batchNorm(x.variable) }
        batchNorm.eval()
        try checkGradients([x] + batchNorm.parameters()) { try batchNorm(x.variable) }
        let embedding = toFloat64(Embedding(6, 3))
        let indices = try Tensor([0, 5, 5, 2, 0, 1] as [Int64], shape: [2, 3])
        try checkGradients(embedding.parameters()) { try embedding(Variable(indices)) }
    }

    @Test("causal multi-head attention and a transformer block")
    mutating func attention() throws {
        GlobalRandom.seed(3)
        let x = input([2, 4, 8])
        let attention = toFloat64(MultiHeadSelfAttention(dimension: 8, heads: 2))
        try checkGradients([x] + attention.parameters()) { try attention(x.variable) }
        let block = toFloat64(TransformerBlock(dimension: 8, heads: 2))
        try checkGradients([x] + block.parameters()) { try block(x.variable) }
    }

    @Test("causal attention does not look ahead; BatchNorm tracks running statistics")
    mutating func behaviour() throws {
        GlobalRandom.seed(4)
        let attention = MultiHeadSelfAttention(dimension: 8, heads: 2)
        let x = try Tensor.randomNormal([1, 5, 8], generator: &generator)
        var changed = x
        try changed.assign(Tensor.zeros([1, 1, 8]), axis: 1, start: 4, end: 5)
        let a = try attention(x).value.sliced(axis: 1, end: 4)
        let b = try attention(changed).value.sliced(axis: 1, end: 4)
        // Changing the last position must not affect earlier outputs. (Close, not bitwise:
        // other tests may switch the GEMM backend or CPU level between the two calls.)
        expectNear(a.doubleScalars(), b.doubleScalars(), tolerance: 1e-6)
        let batchNorm = BatchNorm(2)
        let batch = try Tensor([1, 10, 3, 20, 5, 30] as [Float], shape: [3, 2])
        _ = try batchNorm(batch)
        expectNear(batchNorm.runningMean.value.doubleScalars(), [0.3, 2.0], tolerance: 1e-5)
        expectNear(batchNorm.runningVariance.value.doubleScalars(), [0.9 + 0.4, 0.9 + 10], tolerance: 1e-4)
        #expect(throws: ModuleError.self) { try batchNorm(Tensor.zeros([3, 3])) }
        #expect(throws: ModuleError.self) { try Embedding(3, 2)(Tensor.zeros([2])) }
    }
}

@Suite("Dropout")
struct DropoutTests {
    @Test("drops about p of the elements in training, scales the rest, and is the identity in evaluation")
    func dropout() throws {
        try GlobalRandom.withScope(seed: 6) {
            let layer = Dropout(0.25)
            let x = Parameter(try Tensor.ones([100, 100]))
            let y = try layer(x.variable)
            let values = y.value.doubleScalars()
            let dropped = values.filter { $0 == 0 }.count
            #expect(Swift.abs(Double(dropped) / 10_000 - 0.25) < 0.02)
            #expect(values.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.75) < 1e-6 })
            try y.sum().backward()
            #expect(x.grad?.doubleScalars() == values)  // the gradient passes where kept, scaled alike
            layer.eval()
            #expect(try layer(x.variable).value == x.value)
        }
    }
}
