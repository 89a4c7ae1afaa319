import Testing

@testable import FlockTensor

@Suite("Matrix multiplication", .serialized)
struct MatMulTests {
    /// Float64 reference of a batched, broadcast matmul on row-major values.
    static func reference(_ a: Tensor, _ b: Tensor) -> (shape: [Int], values: [Double]) {
        if a.rank == 2 && b.rank == 2 { return reference2D(a, b) }
        let a2 = a.rank == 1 ? try! a.reshaped([1, a.shape[0]]) : a
        let b2 = b.rank == 1 ? try! b.reshaped([b.shape[0], 1]) : b
        let (m, k, n) = (a2.shape[a2.rank - 2], a2.shape[a2.rank - 1], b2.shape[b2.rank - 1])
        let batch = Reference.broadcast(Array(a2.shape.dropLast(2)), Array(b2.shape.dropLast(2)))!
        let (va, vb) = (a2.doubleScalars(), b2.doubleScalars())
        var values: [Double] = []
        for flat in 0..<batch.reduce(1, *) {
            let index = Reference.multiIndex(flat, batch)
            for i in 0..<m {
                for j in 0..<n {
                    var total = 0.0
                    for p in 0..<k {
                        total +=
                            Reference.broadcastRead(va, a2.shape, at: index + [i, p])
                            * Reference.broadcastRead(vb, b2.shape, at: index + [p, j])
                    }
                    values.append(total)
                }
            }
        }
        var shape = batch + [m, n]
        if b.rank == 1 { shape.removeLast() }
        if a.rank == 1 { shape.remove(at: shape.count - (b.rank == 1 ? 1 : 2)) }
        return (shape, values)
    }

    /// The plain triple loop for two matrices (fast enough for the large cases).
    static func reference2D(_ a: Tensor, _ b: Tensor) -> (shape: [Int], values: [Double]) {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        let (va, vb) = (a.doubleScalars(), b.doubleScalars())
        var values = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for p in 0..<k {
                let scale = va[i * k + p]
                for j in 0..<n { values[i * n + j] += scale * vb[p * n + j] }
            }
        }
        return ([m, n], values)
    }

    static let shapes: [([Int], [Int])] = [
        ([3, 4], [4, 5]), ([1, 1], [1, 1]), ([7], [7]), ([5], [5, 3]), ([4, 5], [5]),
        ([2, 3, 4], [4, 6]), ([2, 1, 3, 4], [5, 4, 2]), ([13, 37], [37, 29]), ([0, 3], [3, 4]),
        ([3, 0], [0, 4]), ([70, 300], [300, 45]), ([130, 257], [257, 67]), ([6, 32], [32, 32]),
    ]

    @Test("matmul matches a float64 loop for every backend, CPU level and dtype")
    func matchesReference() throws {
        var data = TestData(seed: 10)
        let original = (GEMMBackend.active, CPULevel.active)
        defer {
            GEMMBackend.select(original.0)
            CPULevel.limit(to: original.1)
        }
        for (lhs, rhs) in Self.shapes {
            for dtype in [DType.float32, .float64, .int64] {
                let low = dtype == .int64 ? -9.0 : -1.0
                let a = data.tensor(lhs, dtype: dtype, low: low, high: -low)
                let b = data.tensor(rhs, dtype: dtype, low: low, high: -low)
                let expected = Self.reference(a, b)
                let k = Double(lhs.last ?? 1)
                for backend in [GEMMBackend.native, .blas, .fastest] {
                    for level in [CPULevel.generic, .avx2, .avx512] where level <= CPULevel.detected {
                        GEMMBackend.select(backend)
                        CPULevel.limit(to: level)
                        let result = try a.matmul(b)
                        #expect(result.shape == expected.shape, "\(lhs) x \(rhs)")
                        #expect(result.dtype == dtype)
                        let tolerance = dtype == .float32 ? 2e-6 * k.squareRoot() + 1e-6 : 1e-10
                        expectClose(
                            result.doubleScalars(), expected.values, rtol: tolerance, atol: tolerance,
                            "\(lhs) x \(rhs) \(dtype) \(backend) \(level)")
                    }
                }
            }
        }
    }

    @Test("long-k products with a transposed right operand (the dot-product kernel) match a float64 loop")
    func dotProductKernel() throws {
        var data = TestData(seed: 12)
        let original = (GEMMBackend.active, CPULevel.active)
        defer {
            GEMMBackend.select(original.0)
            CPULevel.limit(to: original.1)
        }
        GEMMBackend.select(.native)
        // Ragged tiles, a k tail shorter than a vector, one element, and k past one block.
        for (m, n, k) in [(6, 25, 3000), (7, 13, 333), (1, 1, 1000), (64, 3, 2048), (16, 150, 4200)] {
            let a = data.tensor([m, k])
            let b = data.tensor([n, k])
            let expected = Self.reference(a, b.T)
            for level in [CPULevel.generic, .avx2, .avx512] where level <= CPULevel.detected {
                CPULevel.limit(to: level)
                let tolerance = 2e-6 * Double(k).squareRoot() + 1e-6
                expectClose(
                    try a.matmul(b.T).doubleScalars(), expected.values, rtol: tolerance, atol: tolerance,
                    "\(m)x\(n)x\(k) \(level)")
            }
        }
    }

    @Test("transposed and sliced views multiply without copies and give the same numbers")
    func views() throws {
        var data = TestData(seed: 11)
        let original = GEMMBackend.active
        defer { GEMMBackend.select(original) }
        let a = data.tensor([40, 30])
        let b = data.tensor([50, 40])
        for backend in [GEMMBackend.native, .blas, .fastest] {
            GEMMBackend.select(backend)
            let at = a.T  // [30, 40], column-major view
            let bt = b.T  // [40, 50]
            let result = try at.matmul(bt)
            expectClose(
                result.doubleScalars(), Self.reference(at.contiguous(), bt.contiguous()).values, rtol: 1e-5, atol: 1e-5)
            let sliced = try a.sliced(axis: 1, start: 1, end: 30, step: 2)  // [40, 15], stride 2
            let other = data.tensor([15, 9])
            expectClose(
                try sliced.matmul(other).doubleScalars(), Self.reference(sliced.contiguous(), other).values, rtol: 1e-5,
                atol: 1e-5)
        }
    }

    @Test("large products agree between the native GEMM and BLAS, single and multithreaded")
    func backendsAgree() throws {
        var data = TestData(seed: 12)
        let original = GEMMBackend.active
        defer {
            GEMMBackend.select(original)
            GEMMBackend.setThreadCount(ThreadPool.defaultThreadCount)
        }
        let a = data.tensor([300, 513])
        let b = data.tensor([513, 301])
        let expected = Self.reference(a, b).values
        for threads in [1, 2] {
            GEMMBackend.setThreadCount(threads)
            GEMMBackend.select(.native)
            let native = try a.matmul(b).doubleScalars()
            GEMMBackend.select(.blas)
            let blas = try a.matmul(b).doubleScalars()
            GEMMBackend.select(.fastest)
            let fastest = try a.matmul(b).doubleScalars()
            expectClose(native, expected, rtol: 1e-4, atol: 1e-4)
            expectClose(blas, native, rtol: 1e-4, atol: 1e-4)
            expectClose(fastest, native, rtol: 1e-4, atol: 1e-4)
        }
    }

    @Test("shape errors name both shapes")
    func errors() throws {
        let a = try Tensor.zeros([2, 3])
        let b = try Tensor.zeros([4, 2])
        #expect(throws: TensorError.self) { try a.matmul(b) }
        #expect(throws: TensorError.self) { try Tensor(scalar: Float(1)).matmul(b) }
        do {
            _ = try a.matmul(b)
        } catch let error as TensorError {
            #expect(error.description.contains("[2, 3]") && error.description.contains("[4, 2]"))
        }
    }
}

@Suite("BLAS loading")
struct BLASLoadingTests {
    @Test("FLOCK_BLAS values map to library candidates; a bad path loads nothing")
    func candidates() {
        #expect(BLAS.candidates(for: "none").isEmpty)
        #expect(BLAS.candidates(for: "OpenBLAS").first == "libopenblas.so.0")
        #expect(BLAS.candidates(for: "/opt/Custom/libBLAS.so") == ["/opt/Custom/libBLAS.so"])
        #expect(BLAS.candidates(for: nil).count > 3)
        #expect(BLAS.load(request: "/nonexistent/libnothing.so") == nil)
    }
}
