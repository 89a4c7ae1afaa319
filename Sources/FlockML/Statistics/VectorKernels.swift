/// Small float64 vector kernels for the fits' per-row loops, in SIMD8 chunks with a scalar
/// tail. Swift does not reorder float additions by itself, so a plain loop's dot product
/// runs one lane; these fix an order (eight partial sums, then the tail) that is the same
/// on every run.
enum VectorKernels {
    /// Σ a[j] b[j] for j in 0..<count.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var sums = SIMD8<Double>()
        var j = 0
        while j + 8 <= count {
            sums +=
                UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Double>.self)
                * UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Double>.self)
            j += 8
        }
        var total = sums.sum()
        while j < count {
            total += a[j] * b[j]
            j += 1
        }
        return total
    }

    /// y[j] += alpha * x[j] for j in 0..<count.
    @inline(__always)
    static func addScaled(_ alpha: Double, _ x: UnsafePointer<Double>, to y: UnsafeMutablePointer<Double>, _ count: Int)
    {
        var j = 0
        while j + 8 <= count {
            let sum =
                UnsafeRawPointer(y + j).loadUnaligned(as: SIMD8<Double>.self) + alpha
                * UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Double>.self)
            UnsafeMutableRawPointer(y + j).storeBytes(of: sum, as: SIMD8<Double>.self)
            j += 8
        }
        while j < count {
            y[j] += alpha * x[j]
            j += 1
        }
    }

    /// Σ (a[j] - b[j])² for j in 0..<count, summed in order: exact enough for a cost that
    /// is compared across libraries, and cheap next to the loops that call it.
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var total = 0.0
        for j in 0..<count {
            let difference = a[j] - b[j]
            total += difference * difference
        }
        return total
    }
}
