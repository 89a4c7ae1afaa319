import Foundation
import Synchronization

/// Which float32 GEMM is faster on this machine, Flock's own kernels or the loaded BLAS,
/// for small products (largest dimension under `largeDimension`) and for large ones: the
/// choice behind `GEMMBackend.fastest`, the default when a BLAS is loaded.
///
/// Why measured: the same feature bits hide different machines (an AVX-512 EPYC with
/// 256-bit units, where OpenBLAS won, and one with 512-bit units, where Flock's kernels
/// win by 1.3-1.9x), and BLAS builds differ. What happens: on the first float32 product
/// at a thread count, both backends multiply square matrices of 256 and of 1024 (Flock's
/// first: OpenBLAS's threads spin after each call and would slow a run that follows; two
/// warm-ups, then the best of five), about 0.15 s, once per machine; BLAS must win by 10%
/// (`blasMargin`). Where small products go to BLAS and large ones to Flock's, BLAS's
/// spinning threads can still slow a large product that follows a small one; the
/// calibration does not see that.
///
/// The result is kept in memory and in `~/.cache/flock/gemm-calibration.json` (or under
/// `$XDG_CACHE_HOME`), keyed by CPU model, vector level, BLAS, thread count and build, so
/// a machine measures once and every process on it then chooses alike. That file is
/// written 0600 and read only when it is this user's and 0600; anything else (missing,
/// foreign, malformed) is measured again. Processes that start together wait on one
/// lock, so they do not all measure at once nor disagree. `FLOCK_GEMM=native|blas` skips
/// all of this.
struct GEMMCalibration: Codable, Equatable, Sendable, CustomStringConvertible {
    /// BLAS measured faster for products whose largest dimension is under `largeDimension`.
    var blasForSmall: Bool
    /// BLAS measured faster for the larger products.
    var blasForLarge: Bool

    /// Where small products end: the large class is measured at 1024, the small at 256.
    static let largeDimension = 512

    /// BLAS is chosen only when its best time is under this fraction of Flock's, so that
    /// where the two are close (within the noise of a short measurement) every machine of
    /// a kind makes the same choice.
    static let blasMargin = 0.9

    /// Whether a product of these sizes should go to BLAS.
    func prefersBLAS(m: Int, n: Int, k: Int) -> Bool {
        max(m, n, k) < Self.largeDimension ? blasForSmall : blasForLarge
    }

    var description: String {
        "small: \(blasForSmall ? "blas" : "native"), large: \(blasForLarge ? "blas" : "native")"
    }

    private static let known = Mutex<[String: GEMMCalibration]>([:])

    /// Debug builds compile the kernels unoptimized, so their measurements are kept apart.
    #if DEBUG
        private static let build = "debug"
    #else
        private static let build = "release"
    #endif

    /// The calibration for `blas` at the pool's thread count: remembered, cached on disk, or measured now.
    static func current(blas: BLAS) -> GEMMCalibration {
        let key = [
            CPUModel.description, "\(CPULevel.active)", blas.name, "\(ThreadPool.shared.threadCount) threads", build,
        ].joined(separator: " | ")
        if let known = known.withLock({ $0[key] }) { return known }
        let calibration =
            GEMMCalibrationCache.default?.calibration(for: key) { measure(blas: blas) } ?? measure(blas: blas)
        known.withLock { $0[key] = calibration }
        return calibration
    }

    /// Times both backends on square products of 256 and 1024: all of Flock's runs first,
    /// as OpenBLAS's threads keep spinning for a while after each of its calls.
    static func measure(blas: BLAS) -> GEMMCalibration {
        let sizes = [256, 1024]
        let native = sizes.map { n in
            timeProduct(n) { a, b, c in
                nativeGEMMFloat(
                    m: n, n: n, k: n, a: MatrixOperand(base: a, rowStride: n, columnStride: 1),
                    b: MatrixOperand(base: b, rowStride: n, columnStride: 1), c: c, ldc: n)
            }
        }
        let library = sizes.map { n in
            timeProduct(n) { a, b, c in blas.sgemmRowMajor(m: n, n: n, k: n, a: a, b: b, c: c) }
        }
        return GEMMCalibration(
            blasForSmall: library[0] < native[0] * blasMargin, blasForLarge: library[1] < native[1] * blasMargin)
    }

    /// The best seconds of `multiply` on two n x n operands (`bestSeconds`).
    private static func timeProduct(
        _ n: Int, _ multiply: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> Double {
        let a = [Float](repeating: 0.5, count: n * n)
        let b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    // Invariant: n > 0, so the buffers have base addresses.
                    bestSeconds { multiply(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!) }
                }
            }
        }
    }

    /// The best of five timed runs of `body` after two warm-ups, in seconds: the best, as
    /// the first runs of a process are slowed by what else starts (threads, page faults)
    /// by up to 3x here, and a backend is chosen for the steady state.
    private static func bestSeconds(_ body: () -> Void) -> Double {
        body()
        body()
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }
}
