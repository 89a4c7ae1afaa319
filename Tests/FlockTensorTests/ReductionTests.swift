import Foundation
import Testing

@testable import FlockTensor

@Suite("Reductions")
struct ReductionTests {
    /// Float64 reference: reduces `values` of `shape` over `axes` with `f` on each group.
    static func reference(_ x: Tensor, axes: [Int], keepDims: Bool, _ f: ([Double]) -> Double) -> (
        shape: [Int], values: [Double]
    ) {
        let values = x.doubleScalars()
        let outShape = x.shape.indices.map { axes.contains($0) ? 1 : x.shape[$0] }
        var groups = [[Double]](repeating: [], count: outShape.reduce(1, *))
        for i in 0..<values.count {
            var index = Reference.multiIndex(i, x.shape)
            for axis in axes { index[axis] = 0 }
            groups[Reference.linear(index, outShape)].append(values[i])
        }
        let shape = keepDims ? outShape : x.shape.indices.filter { !axes.contains($0) }.map { x.shape[$0] }
        return (shape, groups.map(f))
    }

    static func axesSubsets(rank: Int) -> [[Int]] {
        (0..<(1 << rank)).map { mask in (0..<rank).filter { mask & (1 << $0) != 0 } }
    }

    @Test(
        "sum, mean, variance, max, min and logsumexp match float64 loops over every axis subset",
        arguments: [DType.float32, .float64])
    func floatReductions(dtype: DType) throws {
        var data = TestData(seed: 20)
        let sum: ([Double]) -> Double = { $0.reduce(0, +) }
        let mean: ([Double]) -> Double = { $0.reduce(0, +) / Double($0.count) }
        let variance: ([Double]) -> Double = { v in
            let m = mean(v)
            return v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)
        }
        let logsumexp: ([Double]) -> Double = { v in
            let m = v.max()!
            return m + Foundation.log(v.map { Foundation.exp($0 - m) }.reduce(0, +))
        }
        for shape in [[5], [3, 4], [2, 3, 4], [2, 1, 3, 2]] {
            let base = data.tensor(shape, dtype: dtype)
            for x in [base, data.strided(base)] {
                for axes in Self.axesSubsets(rank: shape.count) where !axes.isEmpty {
                    for keepDims in [false, true] {
                        let cases: [(String, Tensor, ([Double]) -> Double)] = [
                            ("sum", try x.sum(axes: axes, keepDims: keepDims), sum),
                            ("mean", try x.mean(axes: axes, keepDims: keepDims), mean),
                            ("variance", try x.variance(axes: axes, keepDims: keepDims), variance),
                            ("max", try x.max(axes: axes, keepDims: keepDims), { $0.max()! }),
                            ("min", try x.min(axes: axes, keepDims: keepDims), { $0.min()! }),
                            ("logsumexp", try x.logsumexp(axes: axes, keepDims: keepDims), logsumexp),
                        ]
                        for (name, result, f) in cases {
                            let expected = Self.reference(x, axes: axes, keepDims: keepDims, f)
                            #expect(result.shape == expected.shape, "\(name) \(shape) \(axes)")
                            #expect(result.dtype == dtype)
                            let tolerance = dtype == .float32 ? 2e-6 : 1e-12
                            expectClose(
                                result.doubleScalars(), expected.values, rtol: tolerance, atol: tolerance,
                                "\(name) \(shape) axes \(axes)")
                        }
                    }
                }
            }
        }
    }

    @Test("argmax and argmin return the first extreme position along an axis")
    func argExtremes() throws {
        let x = try Tensor([1, 5, 5, 0, 2, 2, 9, 9, 0] as [Float], shape: [3, 3])
        #expect(try x.argmax(axis: 1).scalars(as: Int64.self) == [1, 1, 0])
        #expect(try x.argmin(axis: 1).scalars(as: Int64.self) == [0, 0, 2])
        #expect(try x.argmax(axis: 0).scalars(as: Int64.self) == [2, 2, 0])
        #expect(try x.argmax().item(as: Int64.self) == 6)
        #expect(try x.argmax(axis: 0, keepDims: true).shape == [1, 3])
        var data = TestData(seed: 21)
        let y = data.tensor([4, 7, 5])
        let positions = try y.argmax(axis: 1)
        let expected = Self.reference(y, axes: [1], keepDims: false) { v in Double(v.firstIndex(of: v.max()!)!) }
        #expect(positions.doubleScalars() == expected.values)
    }

    @Test("NaN propagates through max, min and argmax")
    func nanPropagates() throws {
        let x = Tensor([1, .nan, 3] as [Float])
        #expect(try x.max().item(as: Float.self).isNaN)
        #expect(try x.min().item(as: Float.self).isNaN)
        #expect(try x.argmax().item(as: Int64.self) == 1)
    }

    @Test("integer sums widen to int64; empty reductions are defined or refused clearly")
    func integersAndEmpty() throws {
        let x = try Tensor([Int32.max, Int32.max, 1] as [Int32], shape: [3])
        let total = try x.sum()
        #expect(total.dtype == .int64)
        #expect(try total.item(as: Int64.self) == 2 * Int64(Int32.max) + 1)
        #expect(try Tensor([true, true, false]).sum().item(as: Int64.self) == 2)
        let empty = try Tensor.zeros([0, 3])
        #expect(try empty.sum(axes: [0]).scalars(as: Float.self) == [0, 0, 0])
        #expect(try empty.mean(axes: [0]).scalars(as: Float.self).allSatisfy(\.isNaN))
        #expect(throws: TensorError.self) { try empty.max(axes: [0]) }
        #expect(throws: TensorError.invalidAxis(op: "sum", axis: 2, rank: 2)) { try empty.sum(axes: [2]) }
        #expect(throws: TensorError.self) { try empty.sum(axes: [1, -1]) }
    }

    @Test("long reductions are split in fixed blocks: bitwise identical for 1 and 2 threads")
    func deterministicAcrossThreads() throws {
        var data = TestData(seed: 22)
        let x = data.tensor([3 * reductionBlock + 17])
        defer { ThreadPool.shared.setThreadCount(ThreadPool.defaultThreadCount) }
        ThreadPool.shared.setThreadCount(1)
        let one = try x.sum().item(as: Float.self)
        ThreadPool.shared.setThreadCount(2)
        let two = try x.sum().item(as: Float.self)
        #expect(one.bitPattern == two.bitPattern)
        expectClose([Double(one)], [x.doubleScalars().reduce(0, +)], rtol: 1e-6, atol: 1e-4)
    }
}
