import Testing

@testable import FlockTensor

@Suite("Gather, scatter, index-select, one-hot, concat, stack, split")
struct IndexingTests {
    @Test("gather picks along an axis like PyTorch's gather")
    func gather() throws {
        var data = TestData(seed: 30)
        let x = data.tensor([3, 4, 5])
        var g = RandomGenerator(seed: 31)
        for axis in 0..<3 {
            var indexShape = [2, 3, 4]
            indexShape[axis] = 6
            let index = try Tensor.randint(0, x.shape[axis], shape: indexShape, generator: &g)
            let result = try x.gather(axis: axis, index: index)
            #expect(result.shape == indexShape)
            let (values, positions) = (x.doubleScalars(), index.doubleScalars())
            let expected = (0..<positions.count).map { i -> Double in
                var at = Reference.multiIndex(i, indexShape)
                at[axis] = Int(positions[i])
                return values[Reference.linear(at, x.shape)]
            }
            #expect(result.doubleScalars() == expected)
            // Non-contiguous source gives the same result.
            #expect(try data.strided(x).gather(axis: axis, index: index).doubleScalars() == expected)
        }
        let bad = Tensor([0, 5] as [Int64]).expandedForTest(to: [3, 2])
        #expect(throws: TensorError.indexOutOfRange(op: "gather", index: 5, size: 5)) {
            try x.selected(axis: 0, index: 0).gather(axis: 1, index: bad)
        }
        #expect(throws: TensorError.self) { try x.gather(axis: 0, index: Tensor([0.5] as [Float])) }
    }

    @Test("scatter writes, scatter-add accumulates duplicates")
    func scatter() throws {
        let base = try Tensor.zeros([2, 4])
        let index = try Tensor([1, 3, 0, 0] as [Int64], shape: [2, 2])
        let source = try Tensor([10, 20, 30, 40] as [Float], shape: [2, 2])
        let written = try base.scattered(axis: 1, index: index, source: source)
        #expect(written.doubleScalars() == [0, 10, 0, 20, 40, 0, 0, 0])
        let added = try base.scattered(axis: 1, index: index, source: source, accumulate: true)
        #expect(added.doubleScalars() == [0, 10, 0, 20, 70, 0, 0, 0])
        #expect(base.doubleScalars() == Array(repeating: 0, count: 8))
        #expect(throws: TensorError.self) { try base.scattered(axis: 1, index: index + 4.0, source: source) }
    }

    @Test("indexSelect and oneHot")
    func selectAndOneHot() throws {
        let x = try Tensor.arange(0, 12, dtype: .int64).reshaped([4, 3])
        let picked = try x.indexSelect(axis: 0, indices: Tensor([3, 0, 3] as [Int32]))
        #expect(try picked.scalars(as: Int64.self) == [9, 10, 11, 0, 1, 2, 9, 10, 11])
        let columns = try x.indexSelect(axis: 1, indices: Tensor([2] as [Int64]))
        #expect(try columns.scalars(as: Int64.self) == [2, 5, 8, 11])
        let hot = try Tensor.oneHot(Tensor([2, 0] as [Int64]), classes: 3)
        #expect(hot.shape == [2, 3])
        #expect(try hot.scalars(as: Float.self) == [0, 0, 1, 1, 0, 0])
        #expect(throws: TensorError.indexOutOfRange(op: "oneHot", index: 3, size: 3)) {
            try Tensor.oneHot(Tensor([3] as [Int64]), classes: 3)
        }
        #expect(throws: TensorError.self) { try x.indexSelect(axis: 0, indices: Tensor([-1] as [Int64])) }
    }

    @Test("concatenate, stack and split round-trip")
    func joining() throws {
        var data = TestData(seed: 32)
        let a = data.tensor([2, 3])
        let b = data.tensor([2, 5])
        let joined = try Tensor.concatenate([a, b.T.T], axis: 1)
        #expect(joined.shape == [2, 8])
        let parts = try joined.split(sizes: [3, 5], axis: 1)
        #expect(parts[0] == a && parts[1] == b)
        let stacked = try Tensor.stack([a, a * 2], axis: 1)
        #expect(stacked.shape == [2, 2, 3])
        #expect(try stacked.selected(axis: 1, index: 1) == a * 2)
        #expect(try Tensor.arange(0, 7).split(parts: 3).map(\.count) == [3, 2, 2])
        let mixed = try Tensor.concatenate([Tensor([1] as [Int32]), Tensor([0.5] as [Float])])
        #expect(mixed.dtype == .float32)
        #expect(throws: TensorError.self) { try Tensor.concatenate([a, b], axis: 0) }
        #expect(throws: TensorError.self) { try Tensor.concatenate([]) }
        #expect(throws: TensorError.self) { try Tensor.stack([a, b]) }
        #expect(throws: TensorError.self) { try joined.split(sizes: [3, 4], axis: 1) }
    }
}

extension Tensor {
    /// A contiguous copy broadcast to `shape` (test helper).
    func expandedForTest(to shape: [Int]) -> Tensor {
        try! expanded(to: shape).contiguous()
    }
}
