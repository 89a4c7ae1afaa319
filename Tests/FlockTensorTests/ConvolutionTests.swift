import Foundation
import Testing

@testable import FlockTensor

@Suite("Convolution, pooling and softmax")
struct ConvolutionTests {
    /// Direct float64 convolution: out[n][o][y][x] = b[o] + sum over c, i, j.
    static func referenceConv(
        _ input: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
        dilation: (Int, Int), groups: Int
    ) -> [Double] {
        let (x, w) = (input.doubleScalars(), weight.doubleScalars())
        let b = bias?.doubleScalars()
        let (n, c, h, wd) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (o, cg, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let oh = (h + 2 * padding.0 - dilation.0 * (kh - 1) - 1) / stride.0 + 1
        let ow = (wd + 2 * padding.1 - dilation.1 * (kw - 1) - 1) / stride.1 + 1
        var out: [Double] = []
        for image in 0..<n {
            for channel in 0..<o {
                let group = channel / (o / groups)
                for y in 0..<oh {
                    for xx in 0..<ow {
                        var total = b?[channel] ?? 0
                        for ci in 0..<cg {
                            let inputChannel = group * cg + ci
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let iy = y * stride.0 - padding.0 + i * dilation.0
                                    let ix = xx * stride.1 - padding.1 + j * dilation.1
                                    guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                    total +=
                                        x[((image * c + inputChannel) * h + iy) * wd + ix]
                                        * w[((channel * cg + ci) * kh + i) * kw + j]
                                }
                            }
                        }
                        out.append(total)
                    }
                }
            }
        }
        _ = c
        return out
    }

    @Test(
        "conv2d matches a direct float64 loop across strides, padding, dilation and groups",
        arguments: [DType.float32, .float64])
    func conv2d(dtype: DType) throws {
        var data = TestData(seed: 40)
        let cases:
            [(input: [Int], weight: [Int], stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int)] =
                [
                    ([2, 1, 8, 8], [3, 1, 3, 3], (1, 1), (0, 0), (1, 1), 1),
                    ([1, 3, 9, 7], [4, 3, 3, 2], (2, 1), (1, 2), (1, 1), 1),
                    ([2, 4, 10, 10], [6, 2, 3, 3], (1, 2), (1, 1), (2, 1), 2),
                    ([3, 6, 14, 14], [16, 6, 5, 5], (1, 1), (0, 0), (1, 1), 1),
                    ([1, 2, 5, 5], [2, 1, 5, 5], (1, 1), (2, 2), (1, 1), 2),
                    // "Same" convolutions (output as wide as the input): im2col's block copy.
                    ([2, 3, 6, 6], [4, 3, 3, 3], (1, 1), (1, 1), (1, 1), 1),
                    ([1, 2, 7, 7], [3, 2, 3, 3], (1, 1), (2, 2), (2, 2), 1),
                    ([1, 1, 4, 4], [1, 1, 5, 5], (1, 1), (2, 2), (1, 1), 1),
                ]
        for testCase in cases {
            let input = data.tensor(testCase.input, dtype: dtype)
            let weight = data.tensor(testCase.weight, dtype: dtype)
            let bias = data.tensor([testCase.weight[0]], dtype: dtype)
            let result = try data.strided(input).conv2d(
                weight: weight, bias: bias, stride: testCase.stride, padding: testCase.padding,
                dilation: testCase.dilation, groups: testCase.groups)
            let expected = Self.referenceConv(
                input, weight, bias, stride: testCase.stride, padding: testCase.padding,
                dilation: testCase.dilation, groups: testCase.groups)
            // float32 sums of up to 150 products of magnitude <= 9 (inputs in [-3, 3]); the
            // kernel may run without FMA when another test limits the CPU level.
            let tolerance = dtype == .float32 ? 1e-4 : 1e-12
            expectClose(
                result.doubleScalars(), expected, rtol: tolerance, atol: tolerance,
                "\(testCase.input) * \(testCase.weight)")
        }
    }

    @Test("conv2d refuses mismatched channels, bad geometry and integer inputs")
    func conv2dErrors() throws {
        let input = try Tensor.zeros([1, 3, 4, 4])
        #expect(throws: TensorError.self) { try input.conv2d(weight: Tensor.zeros([2, 2, 3, 3])) }
        #expect(throws: TensorError.self) { try input.conv2d(weight: Tensor.zeros([2, 3, 5, 5])) }
        #expect(throws: TensorError.self) { try input.conv2d(weight: Tensor.zeros([2, 3, 3, 3]), stride: (0, 1)) }
        #expect(throws: TensorError.self) {
            try input.conv2d(weight: Tensor.zeros([2, 3, 3, 3]), bias: Tensor.zeros([3]))
        }
        #expect(throws: TensorError.self) {
            try input.casted(to: .int32).conv2d(weight: Tensor.zeros([2, 3, 3, 3], dtype: .int32))
        }
        #expect(throws: TensorError.self) { try Tensor.zeros([3, 4, 4]).conv2d(weight: Tensor.zeros([2, 3, 3, 3])) }
    }

    @Test("max and average pooling match reference windows")
    func pooling() throws {
        let x = try Tensor.arange(0, 16, dtype: .float32).reshaped([1, 1, 4, 4])
        #expect(try x.maxPool2d(kernel: (2, 2)).doubleScalars() == [5, 7, 13, 15])
        #expect(try x.avgPool2d(kernel: (2, 2)).doubleScalars() == [2.5, 4.5, 10.5, 12.5])
        #expect(try x.maxPool2d(kernel: (3, 3), stride: (1, 1)).doubleScalars() == [10, 11, 14, 15])
        // Padding: with count_include_pad the corner average divides by 4 (2x2 window).
        let padded = try x.avgPool2d(kernel: (2, 2), stride: (2, 2), padding: (1, 1))
        #expect(padded.shape == [1, 1, 3, 3])
        #expect(try padded.scalar(at: [0, 0, 0, 0], as: Float.self) == 0 / 4)
        #expect(try padded.scalar(at: [0, 0, 1, 1], as: Float.self) == (5 + 6 + 9 + 10) / 4)
        let unpadded = try x.avgPool2d(kernel: (2, 2), stride: (2, 2), padding: (1, 1), countPadding: false)
        #expect(try unpadded.scalar(at: [0, 0, 0, 2], as: Float.self) == 3)
        let maxPadded = try (x - 100).maxPool2d(kernel: (2, 2), stride: (2, 2), padding: (1, 1))
        #expect(try maxPadded.scalar(at: [0, 0, 0, 0], as: Float.self) == -100)
        #expect(throws: TensorError.self) { try x.maxPool2d(kernel: (5, 5)) }
        #expect(throws: TensorError.self) { try x.maxPool2d(kernel: (2, 2), padding: (2, 2)) }
        #expect(throws: TensorError.self) { try x.flattened().maxPool2d(kernel: (2, 2)) }
        let withNaN = try Tensor([1, .nan, 3, 4] as [Float], shape: [1, 1, 2, 2])
        #expect(try withNaN.maxPool2d(kernel: (2, 2)).item(as: Float.self).isNaN)
    }

    @Test("2x2 max pooling's float32 kernel agrees with the generic path at every CPU level, indices included")
    func maxPoolIndices() throws {
        var generator = RandomGenerator(seed: 5)
        // Odd sizes (the last row and column are dropped), ties, NaN and infinities.
        var cells = try Tensor.randint(-3, 3, shape: [2, 3, 7, 9], generator: &generator).doubleScalars().map {
            Float($0)
        }
        (cells[0], cells[200], cells[300]) = (.nan, -.infinity, .infinity)
        let x = try Tensor(cells, shape: [2, 3, 7, 9])
        let reference = try x.casted(to: .float64).maxPool2dWithIndices(kernel: (2, 2))
        let original = CPULevel.active
        defer { CPULevel.limit(to: original) }
        for level in [CPULevel.generic, .avx2, .avx512] where level <= CPULevel.detected {
            CPULevel.limit(to: level)
            let pooled = try x.maxPool2dWithIndices(kernel: (2, 2))
            #expect(pooled.output.shape == [2, 3, 3, 4])
            #expect(pooled.indices.doubleScalars() == reference.indices.doubleScalars())
            let values = pooled.output.doubleScalars()
            let expected = reference.output.doubleScalars()
            #expect(zip(values, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
        }
        // Ties go to the first cell; the gradient lands where the indices say.
        let ties = try Tensor.ones([1, 1, 2, 2])
        #expect(try ties.maxPool2dWithIndices(kernel: (2, 2)).indices.doubleScalars() == [0])
        let gradient = try Tensor.ones([2, 3, 3, 4])
        let viaIndices = try Tensor.maxPool2dBackward(
            outputGradient: gradient, indices: reference.indices, inputShape: x.shape)
        #expect(try viaIndices.sum().item(as: Float.self) == 72)
        #expect(
            try viaIndices.doubleScalars()
                == x.maxPool2dBackward(outputGradient: gradient, kernel: (2, 2)).doubleScalars())
        // Indices from elsewhere are checked, never trusted.
        #expect(throws: TensorError.self) {
            try Tensor.maxPool2dBackward(
                outputGradient: gradient, indices: reference.indices + 63, inputShape: x.shape)
        }
        #expect(throws: TensorError.self) {
            try Tensor.maxPool2dBackward(
                outputGradient: gradient, indices: reference.indices.casted(to: .int64), inputShape: x.shape)
        }
        #expect(throws: TensorError.self) {
            try Tensor.maxPool2dBackward(outputGradient: gradient, indices: reference.indices, inputShape: [2, 3, 7])
        }
    }

    @Test("softmax and logSoftmax are stable and normalised")
    func softmax() throws {
        var data = TestData(seed: 41)
        let x = data.tensor([4, 6], low: -5, high: 5)
        for axis in [0, 1, -1] {
            let s = try x.softmax(axis: axis)
            let totals = try s.sum(axes: [axis])
            expectClose(totals.doubleScalars(), Array(repeating: 1, count: totals.count), rtol: 1e-6)
            let reference = ReductionTests.reference(x, axes: [axis < 0 ? axis + 2 : axis], keepDims: true) { v in
                v.map { Foundation.exp($0) }.reduce(0, +)
            }
            let expected = try #require(
                Reference.binary(x, try Tensor(reference.values, shape: reference.shape)) { Foundation.exp($0) / $1 })
            expectClose(s.doubleScalars(), expected.values, rtol: 1e-5)
        }
        let huge = Tensor([1000, 0, -1000] as [Float])
        #expect(try huge.softmax().scalars(as: Float.self) == [1, 0, 0])
        let logs = try huge.logSoftmax().scalars(as: Float.self)
        #expect(logs[0] == 0 && logs[1] == -1000 && logs[2] == -2000)
        #expect(throws: TensorError.self) { try huge.softmax(axis: 1) }
    }
}

@Suite("Convolution backward: float32 kernels against float64")
struct ConvolutionBackwardTests {
    @Test(
        "float32 gradients (C im2col/col2im) match the float64 path",
        arguments: [
            ([2, 3, 8, 8], [4, 3, 3, 3], (1, 1), (1, 1), (1, 1), 1),
            ([2, 4, 9, 7], [6, 2, 3, 2], (2, 1), (1, 2), (1, 2), 2),
            ([1, 1, 6, 6], [2, 1, 5, 5], (1, 1), (2, 2), (1, 1), 1),
        ])
    func matchesFloat64(
        _ testCase: ([Int], [Int], (Int, Int), (Int, Int), (Int, Int), Int)
    ) throws {
        let (inputShape, weightShape, stride, padding, dilation, groups) = testCase
        var data = TestData(seed: 44)
        let input = data.tensor(inputShape, dtype: .float64)
        let weight = data.tensor(weightShape, dtype: .float64)
        let forward = try input.conv2d(
            weight: weight, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let gradient = data.tensor(forward.shape, dtype: .float64)
        let reference = try input.conv2dBackward(
            weight: weight, outputGradient: gradient, stride: stride, padding: padding, dilation: dilation,
            groups: groups)
        let single = try input.casted(to: .float32).conv2dBackward(
            weight: weight.casted(to: .float32), outputGradient: gradient.casted(to: .float32), stride: stride,
            padding: padding, dilation: dilation, groups: groups)
        // float32 sums of a few hundred products of magnitude <= 9.
        expectClose(single.input.doubleScalars(), reference.input.doubleScalars(), rtol: 1e-4, atol: 1e-4)
        expectClose(single.weight.doubleScalars(), reference.weight.doubleScalars(), rtol: 1e-4, atol: 1e-3)
        expectClose(single.bias.doubleScalars(), reference.bias.doubleScalars(), rtol: 1e-4, atol: 1e-3)
    }
}
