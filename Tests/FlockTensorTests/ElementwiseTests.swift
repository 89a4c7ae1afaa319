import Foundation
import Testing

@testable import FlockTensor

@Suite("Elementwise operations")
struct ElementwiseTests {
    /// Shape pairs that exercise broadcasting: equal, scalar, leading axes, size-1 axes on
    /// both sides, empty axes.
    static let shapePairs: [([Int], [Int])] = [
        ([3, 4], [3, 4]), ([], [2, 3]), ([2, 3], []), ([4], [3, 4]), ([3, 1], [1, 4]),
        ([2, 1, 3], [4, 1]), ([1], [5]), ([0, 3], [3]), ([2, 0], [2, 1]), ([5, 1, 1], [1, 6, 7]),
        ([2, 3, 4, 5], [3, 1, 5]), ([1, 1], [1, 1]),
    ]

    @Test(
        "add, subtract, multiply, divide, maximum, minimum match float64 loops",
        arguments: [DType.float32, .float64, .int32, .int64])
    func binaryOps(dtype: DType) throws {
        var data = TestData(seed: 1)
        let ops: [(String, (Tensor, Tensor) throws -> Tensor, (Double, Double) -> Double)] = [
            ("add", { try $0 + $1 }, { $0 + $1 }),
            ("subtract", { try $0 - $1 }, { $0 - $1 }),
            ("multiply", { try $0 * $1 }, { $0 * $1 }),
            ("maximum", { try $0.maximum($1) }, { Swift.max($0, $1) }),
            ("minimum", { try $0.minimum($1) }, { Swift.min($0, $1) }),
        ]
        for (lhsShape, rhsShape) in Self.shapePairs {
            for contiguous in [true, false] {
                var a = data.tensor(lhsShape, dtype: dtype, low: -50, high: 50)
                var b = data.tensor(rhsShape, dtype: dtype, low: -50, high: 50)
                if !contiguous {
                    a = data.strided(a)
                    b = data.strided(b)
                }
                for (name, op, reference) in ops {
                    let result = try op(a, b)
                    let expected = try #require(Reference.binary(a, b, reference))
                    #expect(result.shape == expected.shape, "\(name) \(lhsShape) \(rhsShape)")
                    #expect(result.dtype == dtype)
                    let tolerance = dtype == .float32 ? 1e-6 : 1e-12
                    expectClose(
                        result.doubleScalars(), expected.values, rtol: tolerance, atol: tolerance,
                        "\(name) \(lhsShape) \(rhsShape)")
                }
            }
        }
    }

    @Test("random broadcastable shape pairs (including empty axes) match the reference")
    func randomShapes() throws {
        var data = TestData(seed: 6)
        for _ in 0..<60 {
            let lhsShape = data.shape(allowEmpty: true)
            // Derive a compatible right shape: drop some leading axes, set some sizes to 1.
            let dropped = Int(data.generator.nextInt(below: UInt64(lhsShape.count + 1)))
            let rhsShape = lhsShape.dropFirst(dropped).map { data.generator.nextUnitDouble() < 0.3 ? 1 : $0 }
            let (a, b) = (data.tensor(lhsShape), data.tensor(rhsShape))
            let (x, y) = data.generator.nextUnitDouble() < 0.5 ? (a, b) : (b, a)
            for (op, reference) in [({ try $0 + $1 }, { $0 + $1 }), ({ try $0 * $1 }, { $0 * $1 })]
                as [((Tensor, Tensor) throws -> Tensor, (Double, Double) -> Double)]
            {
                let expected = try #require(Reference.binary(x, y, reference))
                let result = try op(data.strided(x), y)
                #expect(result.shape == expected.shape)
                expectClose(
                    result.doubleScalars(), expected.values, rtol: 1e-6, atol: 1e-6, "\(x.shape) with \(y.shape)")
            }
            let total = try x.sum()
            expectClose([total.doubleScalars()[0]], [x.doubleScalars().reduce(0, +)], rtol: 1e-6, atol: 1e-5)
        }
    }

    @Test("float division matches; integer division truncates and refuses zero")
    func division() throws {
        var data = TestData(seed: 2)
        let a = data.tensor([4, 3])
        let b = data.tensor([3], low: 0.5, high: 2)
        expectClose(try (a / b).doubleScalars(), try #require(Reference.binary(a, b) { $0 / $1 }).values, rtol: 1e-6)
        let x = Tensor([7, -7, 9] as [Int32])
        let y = Tensor([2, 2, -4] as [Int32])
        #expect(try (x / y).scalars(as: Int32.self) == [3, -3, -2])
        #expect(throws: TensorError.invalidArgument(op: "divide", reason: "integer division by zero")) {
            try x / Tensor([1, 0, 1] as [Int32])
        }
    }

    @Test("integer arithmetic wraps instead of trapping")
    func integerOverflowWraps() throws {
        let x = Tensor([Int32.max, Int32.min])
        #expect(try (x + Tensor([1, -1] as [Int32])).scalars(as: Int32.self) == [Int32.min, Int32.max])
        #expect(try (Tensor([Int32.min]) / Tensor([-1] as [Int32])).scalars(as: Int32.self) == [Int32.min])
    }

    @Test("dtype promotion follows PyTorch's rules")
    func promotion() throws {
        let i = Tensor([1, 2] as [Int32])
        let l = Tensor([1, 2] as [Int64])
        let f = Tensor([0.5, 1] as [Float])
        let d = Tensor([0.5, 1] as [Double])
        let b = Tensor([true, false])
        #expect(try (i + l).dtype == .int64)
        #expect(try (i + f).dtype == .float32)
        #expect(try (l + f).dtype == .float32)
        #expect(try (f + d).dtype == .float64)
        #expect(try (b + b).scalars(as: Int64.self) == [2, 0])
        #expect((i + 1.5).dtype == .float32)
        #expect((i + 2).dtype == .int32)
        #expect((f * 2).dtype == .float32)
    }

    @Test("broadcasting mismatch names both shapes and the operation")
    func broadcastError() throws {
        let a = try Tensor.zeros([2, 3])
        let b = try Tensor.zeros([4])
        do {
            _ = try a + b
            Issue.record("expected an error")
        } catch let error as TensorError {
            #expect(error.description.contains("add"))
            #expect(error.description.contains("[2, 3]") && error.description.contains("[4]"))
        }
    }

    @Test("unary functions match Double's", arguments: [DType.float32, .float64])
    func unaryOps(dtype: DType) throws {
        var data = TestData(seed: 3)
        let ops: [(String, (Tensor) -> Tensor, (Double) -> Double, ClosedRange<Double>)] = [
            ("exp", { $0.exp() }, { Foundation.exp($0) }, -20...20),
            ("log", { $0.log() }, { Foundation.log($0) }, 0.01...100),
            ("sqrt", { $0.sqrt() }, { $0.squareRoot() }, 0...100),
            ("tanh", { $0.tanh() }, { Foundation.tanh($0) }, -5...5),
            ("sigmoid", { $0.sigmoid() }, { 1 / (1 + Foundation.exp(-$0)) }, -30...30),
            ("gelu", { $0.gelu() }, { $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) / 2 }, -6...6),
            ("softplus", { $0.softplus() }, { $0 > 20 ? $0 : Foundation.log1p(Foundation.exp($0)) }, -30...30),
            ("relu", { $0.relu() }, { Swift.max($0, 0) }, -3...3),
            ("abs", { $0.abs() }, { Swift.abs($0) }, -3...3),
            ("negate", { -$0 }, { -$0 }, -3...3),
        ]
        for (name, op, reference, range) in ops {
            for shape in [[17], [3, 5, 7], [0], [], [40000]] {
                var x = data.tensor(shape, dtype: dtype, low: range.lowerBound, high: range.upperBound)
                for view in [x, data.strided(x)] {
                    x = view
                    let result = op(x)
                    #expect(result.shape == x.shape)
                    let tolerance = dtype == .float32 ? 4e-6 : 1e-12
                    expectClose(
                        result.doubleScalars(), x.doubleScalars().map(reference), rtol: tolerance, atol: tolerance,
                        "\(name) \(shape)")
                }
            }
        }
    }

    @Test("vectorised float32 exp handles overflow, underflow, subnormals and NaN at every CPU level")
    func expEdgeCases() throws {
        let inputs: [Float] = [
            0, 1, -1, 88.72, 88.73, 100, -87.3, -100, -103.9, -104, -200, .infinity, -.infinity, .nan, 1e-8,
        ]
        let original = CPULevel.active
        defer { CPULevel.limit(to: original) }
        for level in [CPULevel.generic, .avx2, .avx512] where level <= CPULevel.detected {
            CPULevel.limit(to: level)
            let result = try Tensor(inputs).exp().scalars(as: Float.self)
            for (x, y) in zip(inputs, result) {
                let expected = Foundation.exp(Double(x))
                if expected.isNaN {
                    #expect(y.isNaN)
                } else if expected > Double(Float.greatestFiniteMagnitude) {
                    #expect(y == .infinity, "exp(\(x)) at \(level)")
                } else {
                    #expect(
                        Swift.abs(Double(y) - expected) <= 3e-7 * expected + 1.5e-45,
                        "exp(\(x)) = \(y), expected \(expected) at \(level)")
                }
            }
        }
    }

    @Test("integer tensors promote to float32 for float functions")
    func integerUnary() throws {
        let x = Tensor([0, 1, 4] as [Int64])
        #expect(x.sqrt().dtype == .float32)
        #expect(try x.sqrt().scalars(as: Float.self) == [0, 1, 2])
        #expect(x.relu().dtype == .int64)
    }

    @Test("comparisons, logical ops, any and all")
    func comparisons() throws {
        var data = TestData(seed: 4)
        let a = data.tensor([3, 4]).casted(to: .int32)
        let b = data.tensor([4]).casted(to: .int32)
        let checks: [((Tensor, Tensor) throws -> Tensor, (Double, Double) -> Bool)] = [
            ({ try $0 .== $1 }, { $0 == $1 }), ({ try $0 .!= $1 }, { $0 != $1 }),
            ({ try $0 .< $1 }, { $0 < $1 }), ({ try $0 .<= $1 }, { $0 <= $1 }),
            ({ try $0 .> $1 }, { $0 > $1 }), ({ try $0 .>= $1 }, { $0 >= $1 }),
        ]
        for (op, reference) in checks {
            let result = try op(a, b)
            #expect(result.dtype == .bool)
            let expected = try #require(Reference.binary(a, b) { reference($0, $1) ? 1 : 0 })
            #expect(result.doubleScalars() == expected.values)
        }
        let p = Tensor([true, true, false, false])
        let q = Tensor([true, false, true, false])
        #expect(try (p .& q).scalars(as: Bool.self) == [true, false, false, false])
        #expect(try (p .| q).scalars(as: Bool.self) == [true, true, true, false])
        #expect(try (.!p).scalars(as: Bool.self) == [false, false, true, true])
        #expect(p.any() && !p.all())
        #expect(Tensor([Bool]()).all() && !Tensor([Bool]()).any())
        #expect(throws: TensorError.self) { try Tensor([1, 2] as [Float]) .& p }
    }

    @Test("where, clamp and pow")
    func selection() throws {
        var data = TestData(seed: 5)
        let x = data.tensor([3, 4])
        let y = data.tensor([4])
        let condition = x .> 0
        let picked = try Tensor.where(condition, x, y)
        let expected = try #require(Reference.binary(x, y) { $0 > 0 ? $0 : $1 })
        #expect(picked.doubleScalars() == expected.values)
        let clamped = try x.clamped(min: -1, max: 1)
        expectClose(clamped.doubleScalars(), x.doubleScalars().map { Swift.min(Swift.max($0, -1), 1) })
        #expect(throws: TensorError.self) { try x.clamped(min: 2, max: 1) }
        let base = data.tensor([5], low: 0.1, high: 3)
        let exponent = data.tensor([5], low: -2, high: 2)
        expectClose(
            try base.pow(exponent).doubleScalars(),
            try #require(Reference.binary(base, exponent) { Foundation.pow($0, $1) }).values, rtol: 1e-5)
        expectClose(base.pow(2).doubleScalars(), base.doubleScalars().map { $0 * $0 }, rtol: 1e-6)
        #expect(throws: TensorError.self) { try Tensor.where(x, x, y) }
    }

    @Test("casting converts, truncates and saturates without trapping")
    func casting() throws {
        let x = Tensor([1.9, -1.9, .nan, 1e20, -1e20, 0] as [Double])
        #expect(try x.casted(to: .int32).scalars(as: Int32.self) == [1, -1, 0, Int32.max, Int32.min, 0])
        #expect(try x.casted(to: .bool).scalars(as: Bool.self) == [true, true, true, true, true, false])
        #expect(try Tensor([Int64.max]).casted(to: .int32).scalars(as: Int32.self) == [Int32.max])
        #expect(try Tensor([Int64(1) << 60 + 1]).casted(to: .int64).scalars(as: Int64.self) == [Int64(1) << 60 + 1])
        let f = Tensor([1.5, 2.25] as [Float]).casted(to: .float64)
        #expect(try f.scalars(as: Double.self) == [1.5, 2.25])
    }
}

@Suite("Parallel strided loops")
struct ParallelLoopTests {
    @Test("large non-contiguous operands split across threads mid-row give the reference result")
    func splitMidRow() throws {
        var data = TestData(seed: 7)
        let a = data.tensor([257, 131]).T  // [131, 257], a column-major view of 33,667 elements
        let b = data.tensor([257])  // broadcast along rows
        defer { ThreadPool.shared.setThreadCount(ThreadPool.defaultThreadCount) }
        ThreadPool.shared.setThreadCount(3)  // uneven chunks that start inside rows
        let sum = try a + b
        let expected = try #require(Reference.binary(a, b) { $0 + $1 })
        expectClose(sum.doubleScalars(), expected.values, rtol: 1e-6, atol: 1e-6)  // float32 rounding
        let total = try a.sum(axes: [0])
        let reference = ReductionTests.reference(a, axes: [0], keepDims: false) { $0.reduce(0, +) }
        expectClose(total.doubleScalars(), reference.values, rtol: 1e-6, atol: 1e-5)
    }
}
