import Testing

@testable import FlockTensor

@Suite("Views and copy-on-write")
struct ViewTests {
    @Test("reshape shares storage when it can and copies when it must")
    func reshape() throws {
        let x = try Tensor.arange(0, 24, dtype: .float32).reshaped([2, 3, 4])
        let y = try x.reshaped([6, -1])
        #expect(y.shape == [6, 4])
        #expect(y.storage === x.storage)
        #expect(y.doubleScalars() == x.doubleScalars())
        let t = try x.transposed(0, 2)  // [4, 3, 2], not contiguous
        #expect(!t.isContiguous)
        let flat = t.flattened()
        #expect(flat.doubleScalars() == t.contiguous().doubleScalars())
        // Merging the two leading axes of a permuted view is possible without a copy.
        let p = try x.permuted([1, 2, 0])  // [3, 4, 2]
        let merged = try p.reshaped([12, 2])
        #expect(merged.storage === x.storage)
        #expect(merged.doubleScalars() == p.contiguous().doubleScalars())
        #expect(throws: TensorError.self) { try x.reshaped([5, 5]) }
        #expect(throws: TensorError.self) { try x.reshaped([-1, -1]) }
        #expect(throws: TensorError.self) { try x.reshaped([7, -1]) }
    }

    @Test("transpose, permute, squeeze, unsqueeze and expand are views")
    func axisViews() throws {
        let x = try Tensor.arange(0, 6, dtype: .float32).reshaped([2, 3])
        #expect(x.T.shape == [3, 2])
        #expect(try x.T.scalar(at: [2, 1], as: Float.self) == 5)
        let u = try x.unsqueezed(1)
        #expect(u.shape == [2, 1, 3])
        #expect(try u.squeezed().shape == [2, 3])
        #expect(try u.squeezed(1).shape == [2, 3])
        let e = try Tensor([1, 2, 3] as [Float]).expanded(to: [4, 3])
        #expect(e.strides == [0, 1])
        #expect(e.doubleScalars() == [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3])
        #expect(throws: TensorError.self) { try x.expanded(to: [4, 3]) }
        #expect(throws: TensorError.self) { try x.permuted([0, 0]) }
        #expect(throws: TensorError.invalidAxis(op: "transpose", axis: 2, rank: 2)) { try x.transposed(0, 2) }
    }

    @Test("slicing follows Python's rules, including negative bounds, steps and clipping")
    func slicing() throws {
        let x = try Tensor.arange(0, 10, dtype: .int64)
        #expect(try x.sliced(axis: 0, start: 2, end: 8, step: 3).scalars(as: Int64.self) == [2, 5])
        #expect(try x.sliced(axis: 0, start: -3).scalars(as: Int64.self) == [7, 8, 9])
        #expect(try x.sliced(axis: 0, start: 5, end: 100).scalars(as: Int64.self) == [5, 6, 7, 8, 9])
        #expect(try x.sliced(axis: 0, start: 8, end: 2).count == 0)
        #expect(throws: TensorError.self) { try x.sliced(axis: 0, step: 0) }
        let m = try Tensor.arange(0, 12, dtype: .int64).reshaped([3, 4])
        #expect(try m[1].scalars(as: Int64.self) == [4, 5, 6, 7])
        #expect(try m[.all, .at(-1)].scalars(as: Int64.self) == [3, 7, 11])
        #expect(try m[.range(1..<3), .range(nil, nil, step: 2)].scalars(as: Int64.self) == [4, 6, 8, 10])
        #expect(try m[.newAxis, 0].shape == [1, 4])
        #expect(throws: TensorError.indexOutOfRange(op: "select", index: 3, size: 3)) { try m[3] }
        #expect(throws: TensorError.self) { try m[0, 0, 0] }
    }

    @Test("copy-on-write: mutating a copy or a view's source never changes the other")
    func copyOnWrite() throws {
        var a = try Tensor.zeros([2, 2])
        let b = a
        try a.setScalar(Float(7), at: [0, 1])
        #expect(try a.scalar(at: [0, 1], as: Float.self) == 7)
        #expect(try b.scalar(at: [0, 1], as: Float.self) == 0)
        var view = a.T
        try view.withUnsafeMutableScalars(as: Float.self) { $0[0] = 42 }
        #expect(try a.scalar(at: [0, 0], as: Float.self) == 0)
        #expect(try view.scalar(at: [0, 0], as: Float.self) == 42)
        #expect(throws: TensorError.self) { try a.setScalar(Int32(1), at: [0, 0]) }
        #expect(throws: TensorError.self) { try a.setScalar(Float(1), at: [2, 0]) }
    }

    @Test("element access checks dtype, count and range")
    func elementAccess() throws {
        let x = try Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
        #expect(try x.scalar(at: [-1, -1], as: Float.self) == 4)
        #expect(throws: TensorError.self) { try x.item(as: Float.self) }
        #expect(throws: TensorError.self) { try x.scalars(as: Double.self) }
        #expect(throws: TensorError.self) { try Tensor([1, 2, 3] as [Float], shape: [2, 2]) }
        #expect(throws: TensorError.self) { try Tensor(rows: [[1, 2], [3]] as [[Float]]) }
        #expect(try Tensor(rows: [[1, 2], [3, 4]] as [[Float]]) == x)
    }
}

@Suite("Shapes too large to exist")
struct HugeShapeTests {
    @Test("element counts that overflow throw instead of crashing")
    func overflow() throws {
        let huge = [Int.max / 2, 4]
        #expect(throws: TensorError.self) { try Tensor.zeros(huge) }
        #expect(throws: TensorError.self) { try Tensor.ones([1 << 40, 1 << 40]) }
        #expect(throws: TensorError.self) { try Tensor([Float](), shape: huge) }
        #expect(throws: TensorError.self) { try Tensor.arange(0, 1e300) }
        let x = try Tensor.zeros([1])
        #expect(throws: TensorError.self) { try x.expanded(to: [1 << 40, 1 << 40]) }
        #expect(throws: TensorError.self) { try x.reshaped([1 << 40, 1 << 40, 0]) }
    }
}
