import Testing

@testable import FlockTensor

@Suite("Creation and random numbers")
struct CreationTests {
    @Test("zeros, ones, full, arange, linspace and eye")
    func creation() throws {
        #expect(try Tensor.zeros([2, 3]).doubleScalars() == Array(repeating: 0, count: 6))
        #expect(try Tensor.ones([2], dtype: .int32).scalars(as: Int32.self) == [1, 1])
        #expect(try Tensor.full([3], value: 2.5, dtype: .float64).scalars(as: Double.self) == [2.5, 2.5, 2.5])
        #expect(try Tensor.arange(0, 5).scalars(as: Int64.self) == [0, 1, 2, 3, 4])
        #expect(try Tensor.arange(1, 2, step: 0.25).scalars(as: Float.self) == [1, 1.25, 1.5, 1.75])
        #expect(try Tensor.arange(5, 0, step: -2).scalars(as: Int64.self) == [5, 3, 1])
        #expect(try Tensor.linspace(0, 1, count: 5).scalars(as: Float.self) == [0, 0.25, 0.5, 0.75, 1])
        #expect(try Tensor.eye(2, 3).doubleScalars() == [1, 0, 0, 0, 1, 0])
        #expect(throws: TensorError.self) { try Tensor.zeros([-1]) }
        #expect(throws: TensorError.self) { try Tensor.arange(0, 1, step: 0) }
    }

    @Test("PCG32 gives the reference stream for seed 42, stream 54 (O'Neill's pcg32-demo)")
    func pcgReferenceStream() {
        var generator = RandomGenerator(seed: 42, stream: 54)
        let outputs = (0..<6).map { _ in generator.nextUInt32() }
        #expect(outputs == [0xa15c_02b7, 0x7b47_f409, 0xba1d_3330, 0x83d2_f293, 0xbfa4_784b, 0xcbed_606e])
    }

    @Test("a seed gives the same tensors every time; distributions have the right moments")
    func randomTensors() throws {
        var g1 = RandomGenerator(seed: 7)
        var g2 = RandomGenerator(seed: 7)
        let a = try Tensor.randomNormal([20000], generator: &g1)
        let b = try Tensor.randomNormal([20000], generator: &g2)
        #expect(a == b)
        #expect(Swift.abs(try a.mean().item(as: Float.self)) < 0.03)
        #expect(Swift.abs(try a.variance().item(as: Float.self) - 1) < 0.05)
        let u = try Tensor.randomUniform([20000], low: 2, high: 4, generator: &g1)
        #expect(try u.min().item(as: Float.self) >= 2 && u.max().item(as: Float.self) < 4)
        #expect(Swift.abs(try u.mean().item(as: Float.self) - 3) < 0.03)
        let coin = try Tensor.bernoulli([20000], probability: 0.25, generator: &g1)
        #expect(Swift.abs(Double(try coin.sum().item(as: Int64.self)) / 20000 - 0.25) < 0.02)
        let dice = try Tensor.randint(1, 7, shape: [6000], generator: &g1)
        #expect(try dice.min().item(as: Int64.self) == 1 && dice.max().item(as: Int64.self) == 6)
        let permutation = try Tensor.permutation(100, generator: &g1).scalars(as: Int64.self)
        #expect(permutation.sorted() == Array(0..<100))
        #expect(permutation != Array(0..<100))
        #expect(throws: TensorError.self) { try Tensor.randint(3, 3, shape: [1], generator: &g1) }
        #expect(throws: TensorError.self) { try Tensor.bernoulli([1], probability: 2, generator: &g1) }
        #expect(throws: TensorError.self) { try Tensor.randomNormal([1], dtype: .int32, generator: &g1) }
    }

    @Test("description is NumPy-like and summarises large tensors")
    func description() throws {
        let x = try Tensor.arange(0, 6, dtype: .float32).reshaped([2, 3])
        #expect(x.description == "tensor([[0., 1., 2.],\n        [3., 4., 5.]], dtype: float32, shape: [2, 3])")
        #expect(
            Tensor([0.5, -1.25] as [Double]).description == "tensor([ 0.5000, -1.2500], dtype: float64, shape: [2])")
        #expect(Tensor([true, false]).description == "tensor([ true, false], dtype: bool, shape: [2])")
        #expect(Tensor(scalar: Int32(3)).description == "tensor(3, dtype: int32, shape: [])")
        let big = try Tensor.arange(0, 2000, dtype: .int64)
        #expect(big.description == "tensor([   0,    1,    2, ..., 1997, 1998, 1999], dtype: int64, shape: [2000])")
    }
}
