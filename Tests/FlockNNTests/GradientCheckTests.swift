import Testing

@testable import FlockNN
@testable import FlockTensor

/// Finite-difference checks in float64: for f(parameters) = sum(op(...) * W) with a fixed
/// random W, backward's gradient must match (f(p + h) - f(p - h)) / 2h for every element.
/// h = 1e-6 gives central-difference errors around 1e-9 for smooth functions.
func checkGradients(
    _ parameters: [Parameter], sourceLocation: SourceLocation = #_sourceLocation,
    _ function: () throws -> Variable
) throws {
    var generator = RandomGenerator(seed: 99)
    let probe = try function()
    let weights = try Tensor.randomNormal(probe.shape, dtype: .float64, generator: &generator)
    func objective() throws -> Variable { try (function() * Variable(weights)).sum() }

    for parameter in parameters { parameter.zeroGrad() }
    try objective().backward()
    for (index, parameter) in parameters.enumerated() {
        let analytic = try #require(
            parameter.grad, "parameter \(index) got no gradient", sourceLocation: sourceLocation
        ).doubleScalars()
        let original = parameter.value
        var numeric: [Double] = []
        for element in 0..<original.count {
            var values = original.doubleScalars()
            let h = 1e-6
            values[element] += h
            parameter.value = try Tensor(values, shape: original.shape)
            let plus = try objective().value.doubleScalars()[0]
            values[element] -= 2 * h
            parameter.value = try Tensor(values, shape: original.shape)
            let minus = try objective().value.doubleScalars()[0]
            numeric.append((plus - minus) / (2 * h))
        }
        parameter.value = original
        for (a, n) in zip(analytic, numeric) where Swift.abs(a - n) > 1e-6 + 1e-5 * Swift.abs(n) {
            Issue.record("parameter \(index): analytic \(a) vs numeric \(n)", sourceLocation: sourceLocation)
            break
        }
    }
}

@Suite("Gradients match finite differences (float64)")
struct GradientCheckTests {
    var generator = RandomGenerator(seed: 1)

    mutating func parameter(_ shape: [Int], low: Double = -2, high: Double = 2) -> Parameter {
        Parameter(try! Tensor.randomUniform(shape, low: low, high: high, dtype: .float64, generator: &generator))
    }

    @Test("arithmetic with broadcasting, scalars and matmul")
    mutating func arithmetic() throws {
        let a = parameter([3, 4])
        let b = parameter([4])
        let c = parameter([3, 1], low: 0.5, high: 2)
        try checkGradients([a, b, c]) { try (a.variable + b.variable) * c.variable - a.variable / c.variable }
        try checkGradients([a, b]) { try (a.variable * 2.5 + 1) - (-b.variable) / 3 }
        let m = parameter([2, 3, 4])
        let n = parameter([4, 5])
        try checkGradients([m, n]) { try m.variable.matmul(n.variable) }
        try checkGradients([a, n]) { try a.variable.matmul(n.variable).T }
    }

    @Test("elementwise functions")
    mutating func functions() throws {
        let x = parameter([2, 5])
        let positive = parameter([2, 5], low: 0.2, high: 3)
        try checkGradients([x]) { x.variable.exp() }
        try checkGradients([positive]) { positive.variable.log() }
        try checkGradients([positive]) { positive.variable.sqrt() }
        try checkGradients([x]) { x.variable.tanh() }
        try checkGradients([x]) { x.variable.sigmoid() }
        try checkGradients([x]) { x.variable.gelu() }
        try checkGradients([x]) { x.variable.softplus() }
        try checkGradients([positive]) { positive.variable.pow(2.5) }
        // relu is not differentiable at 0; random inputs avoid it almost surely.
        try checkGradients([x]) { x.variable.relu() }
    }

    @Test("reductions, softmax and gather")
    mutating func reductions() throws {
        let x = parameter([3, 4, 2])
        try checkGradients([x]) { try x.variable.sum(axes: [1]) }
        try checkGradients([x]) { try x.variable.sum(axes: [0, 2], keepDims: true) }
        try checkGradients([x]) { try x.variable.mean(axes: [-1]) }
        try checkGradients([x]) { try x.variable.mean() }
        try checkGradients([x]) { try x.variable.logSoftmax(axis: 1) }
        try checkGradients([x]) { try x.variable.softmax(axis: 0) }
        let index = try Tensor([0, 3, 3, 1, 2, 0] as [Int64], shape: [3, 2, 1])
        try checkGradients([x]) { try x.variable.gather(axis: 1, index: index) }
    }

    @Test("shape operations")
    mutating func shapes() throws {
        let x = parameter([2, 3, 4])
        let y = parameter([2, 1, 4])
        try checkGradients([x]) { try x.variable.reshaped([6, 4]) }
        try checkGradients([x]) { try x.variable.permuted([2, 0, 1]) }
        try checkGradients([x]) { try x.variable.transposed(0, 1) }
        try checkGradients([x]) { try x.variable.sliced(axis: 2, start: 1, end: 4, step: 2) }
        try checkGradients([x, y]) { try Variable.concatenate([x.variable, y.variable], axis: 1) }
    }

    @Test("losses")
    mutating func losses() throws {
        let logits = parameter([4, 3])
        let labels = Tensor([2, 0, 1, 2] as [Int64])
        try checkGradients([logits]) { try Loss.crossEntropy(logits.variable, labels: labels) }
        try checkGradients([logits]) { try Loss.crossEntropy(logits.variable, labels: labels, labelSmoothing: 0.1) }
        let target = try Tensor.randomUniform([4, 3], dtype: .float64, generator: &generator)
        try checkGradients([logits]) { try Loss.meanSquaredError(logits.variable, target) }
        try checkGradients([logits]) { try Loss.binaryCrossEntropyWithLogits(logits.variable, target) }
    }

    @Test("a parameter used twice gets both contributions, and its hook fires once when final")
    func sharedParameter() throws {
        let w = Parameter(try Tensor([2, 3] as [Double], shape: [2]))
        var fired = 0
        w.addGradientReadyHook { _ in fired += 1 }
        let y = try (w.variable * w.variable + w.variable).sum()  // d/dw = 2w + 1
        try y.backward()
        #expect(fired == 1)
        #expect(try w.grad?.scalars(as: Double.self) == [5, 7])
        try y.backward()  // accumulation across passes
        #expect(try w.grad?.scalars(as: Double.self) == [10, 14])
        #expect(fired == 2)
    }

    @Test("a removed gradient hook no longer fires; the others still do")
    func removedHook() throws {
        let w = Parameter(try Tensor([1, 2] as [Double], shape: [2]))
        var fired: [String] = []
        let first = w.addGradientReadyHook { _ in fired.append("first") }
        w.addGradientReadyHook { _ in fired.append("second") }
        w.removeGradientReadyHook(first)
        try (w.variable * 3).sum().backward()
        #expect(fired == ["second"])
    }

    @Test("backward errors are clear; noGrad records nothing")
    func errors() throws {
        let w = Parameter(try Tensor.ones([3], dtype: .float64))
        #expect(throws: AutogradError.nonScalarOutput(shape: [3])) { try (w.variable * 2).backward() }
        #expect(throws: AutogradError.noGradientPath) { try Variable(Tensor.ones([1])).backward() }
        let constant = noGrad { w.variable * 2 }
        #expect(!constant.requiresGrad)
    }
}

@Suite("Linear primitive")
struct LinearGradientTests {
    @Test("linear matches finite differences for 2-D and 3-D input, with and without bias")
    func linear() throws {
        var generator = RandomGenerator(seed: 8)
        func parameter(_ shape: [Int]) -> Parameter {
            Parameter(try! Tensor.randomNormal(shape, dtype: .float64, generator: &generator))
        }
        let (x, x3, w, b) = (parameter([4, 3]), parameter([2, 4, 3]), parameter([5, 3]), parameter([5]))
        try checkGradients([x, w, b]) { try x.variable.linear(weight: w.variable, bias: b.variable) }
        try checkGradients([x3, w, b]) { try x3.variable.linear(weight: w.variable, bias: b.variable) }
        try checkGradients([x, w]) { try x.variable.linear(weight: w.variable, bias: nil) }
    }
}
