import CFlockKernels
import Foundation
import Synchronization

/// Which matrix-multiply implementation float32 and float64 matmuls use.
public enum GEMMBackend: Sendable, Equatable, CustomStringConvertible {
    /// The run-time loaded BLAS (`BLAS.shared`).
    case blas
    /// Flock's own packed, SIMD, multithreaded GEMM (float32; float64 uses a plain loop).
    case native
    /// Per product, whichever of the two measured faster on this machine for its size
    /// (`GEMMCalibration`, measured once per machine and thread count); float64 goes to
    /// BLAS, whose dgemm is far ahead of the plain loop. The default when BLAS is loaded.
    case fastest

    public var description: String {
        switch self {
        case .blas: "blas(\(BLAS.shared?.name ?? "missing"))"
        case .native: "native(\(CPULevel.active))"
        case .fastest:
            BLAS.shared.map { "fastest(\(GEMMCalibration.current(blas: $0)); \($0.name), \(CPULevel.active))" }
                ?? "native(\(CPULevel.active))"
        }
    }

    private static let current = Mutex<GEMMBackend>(initial)

    /// `FLOCK_GEMM=native|blas|fastest` when set; otherwise `.fastest` when a BLAS was
    /// loaded, else native.
    private static var initial: GEMMBackend {
        switch ProcessInfo.processInfo.environment["FLOCK_GEMM"]?.lowercased() {
        case "native": .native
        case "blas" where BLAS.shared != nil: .blas
        default: BLAS.shared == nil ? .native : .fastest
        }
    }

    /// The backend matmul uses now (see `initial` for the default).
    public static var active: GEMMBackend { current.withLock { $0 } }

    /// Chooses the backend (for benchmarks and tests); `.blas` or `.fastest` without a
    /// library falls back to `.native`. Returns the backend now in force.
    @discardableResult
    public static func select(_ backend: GEMMBackend) -> GEMMBackend {
        let effective = backend != .native && BLAS.shared == nil ? .native : backend
        current.withLock { $0 = effective }
        return effective
    }

    /// Sets the thread count of both Flock's pool and the BLAS library.
    public static func setThreadCount(_ count: Int) {
        ThreadPool.shared.setThreadCount(count)
        BLAS.shared?.setThreadCount(count)
    }
}

/// The vector level of Flock's own kernels.
public enum CPULevel: Int, Sendable, CustomStringConvertible, Comparable {
    case generic = 0
    case avx2 = 1
    case avx512 = 2

    /// The widest level this CPU supports.
    public static var detected: CPULevel { CPULevel(rawValue: Int(flock_cpu_level_detected())) ?? .generic }
    /// The level the kernels use now.
    public static var active: CPULevel { CPULevel(rawValue: Int(flock_cpu_level())) ?? .generic }
    /// Caps the level the kernels use (clamped to `detected`); for tests and benchmarks.
    @discardableResult
    public static func limit(to level: CPULevel) -> CPULevel {
        CPULevel(rawValue: Int(flock_set_cpu_level(Int32(level.rawValue)))) ?? .generic
    }

    public var description: String {
        switch self {
        case .generic: "generic"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }

    public static func < (lhs: CPULevel, rhs: CPULevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A strided matrix operand: element (i, j) is at `base[i * rowStride + j * columnStride]`.
struct MatrixOperand<T> {
    let base: UnsafePointer<T>
    let rowStride: Int
    let columnStride: Int

    /// The CBLAS transpose flag and leading dimension for a `rows x columns` matrix with
    /// this layout, or nil when BLAS cannot read it without a copy.
    func blasLayout(rows: Int, columns: Int) -> (transpose: Int32, leading: Int32)? {
        if columnStride == 1 || columns == 1 {
            let leading = rows == 1 ? Swift.max(columns, 1) : rowStride
            if leading >= Swift.max(1, columns), leading <= Int(Int32.max) { return (BLAS.noTranspose, Int32(leading)) }
        }
        if rowStride == 1 || rows == 1 {
            let leading = columns == 1 ? Swift.max(rows, 1) : columnStride
            if leading >= Swift.max(1, rows), leading <= Int(Int32.max) { return (BLAS.transpose, Int32(leading)) }
        }
        return nil
    }
}

/// C = A * B for any numeric element type: float32 through `gemmFloat` (BLAS or native),
/// others through `gemmGeneric`.
func gemm<T: NumericElement>(
    m: Int, n: Int, k: Int, a: MatrixOperand<T>, b: MatrixOperand<T>, c: UnsafeMutablePointer<T>, ldc: Int
) {
    if T.self == Float.self {
        gemmFloat(
            m: m, n: n, k: k, a: unsafeBitCast(a, to: MatrixOperand<Float>.self),
            b: unsafeBitCast(b, to: MatrixOperand<Float>.self),
            c: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: ldc)
    } else {
        gemmGeneric(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc)
    }
}

/// The BLAS and the operands' CBLAS layouts when this product may go to BLAS: BLAS is the
/// selected backend (or `.fastest` chose it for this size), the caller is outside Flock's own parallel loops (OpenBLAS documents
/// that its threaded builds conflict with an application's threads, and there the cores
/// are busy anyway), both operands have a BLAS-compatible layout and sizes fit in Int32.
/// Calls then go through `BLAS.serialized`, one at a time.
private func blasCall<T>(m: Int, n: Int, k: Int, a: MatrixOperand<T>, b: MatrixOperand<T>, ldc: Int)
    -> (blas: BLAS, a: (transpose: Int32, leading: Int32), b: (transpose: Int32, leading: Int32))?
{
    guard flock_in_parallel_region() == 0, let blas = BLAS.shared,
        let la = a.blasLayout(rows: m, columns: k), let lb = b.blasLayout(rows: k, columns: n),
        max(m, n, k, ldc) <= Int(Int32.max)
    else { return nil }
    switch GEMMBackend.active {
    case .blas: return (blas, la, lb)
    case .native: return nil
    case .fastest:
        guard T.self != Float.self || GEMMCalibration.current(blas: blas).prefersBLAS(m: m, n: n, k: k) else {
            return nil
        }
        return (blas, la, lb)
    }
}

/// C[m x n] (row-major, row stride ldc) = A[m x k] * B[k x n], float32: BLAS when
/// `blasCall` allows it, else Flock's own GEMM.
func gemmFloat(
    m: Int, n: Int, k: Int, a: MatrixOperand<Float>, b: MatrixOperand<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if let call = blasCall(m: m, n: n, k: k, a: a, b: b, ldc: ldc) {
        call.blas.serialized {
            call.blas.sgemm(
                BLAS.rowMajor, call.a.transpose, call.b.transpose, Int32(m), Int32(n), Int32(k), 1,
                a.base, call.a.leading, b.base, call.b.leading, 0, c, Int32(max(ldc, 1)))
        }
        return
    }
    nativeGEMMFloat(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc)
}

/// Flock's own float32 GEMM: the C micro-kernel driver, run on independent row or column
/// blocks of C in parallel. Work below ~2 MFLOP stays on one thread.
func nativeGEMMFloat(
    m: Int, n: Int, k: Int, a: MatrixOperand<Float>, b: MatrixOperand<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let threads = ThreadPool.shared.threadCount
    let work = m * n * k
    guard threads > 1, work >= 1 << 21 else {
        flock_sgemm(m, n, k, 1, a.base, a.rowStride, a.columnStride, b.base, b.rowStride, b.columnStride, 0, c, ldc)
        return
    }
    // Split the larger dimension into blocks aligned to the micro-tile (6 rows, 32 columns).
    let splitRows = m >= n
    let extent = splitRows ? m : n
    let align = splitRows ? 6 : 32
    let parts = Swift.min(threads, Swift.max(1, extent / align))
    let blockSize = ((extent + parts - 1) / parts + align - 1) / align * align
    let blocks = (extent + blockSize - 1) / blockSize
    ThreadPool.shared.parallelFor(chunks: blocks) { block in
        let start = block * blockSize
        let size = Swift.min(blockSize, extent - start)
        if splitRows {
            flock_sgemm(
                size, n, k, 1, a.base + start * a.rowStride, a.rowStride, a.columnStride,
                b.base, b.rowStride, b.columnStride, 0, c + start * ldc, ldc)
        } else {
            flock_sgemm(
                m, size, k, 1, a.base, a.rowStride, a.columnStride,
                b.base + start * b.columnStride, b.rowStride, b.columnStride, 0, c + start, ldc)
        }
    }
}

/// C = A * B for float64 and integer types: BLAS dgemm when available for Double, else a
/// straightforward i-k-j loop (vectorisable inner loop over a row of B).
func gemmGeneric<T: NumericElement>(
    m: Int, n: Int, k: Int, a: MatrixOperand<T>, b: MatrixOperand<T>,
    c: UnsafeMutablePointer<T>, ldc: Int
) {
    if T.self == Double.self, let dgemm = BLAS.shared?.dgemm,
        let call = blasCall(m: m, n: n, k: k, a: a, b: b, ldc: ldc)
    {
        call.blas.serialized {
            dgemm(
                BLAS.rowMajor, call.a.transpose, call.b.transpose, Int32(m), Int32(n), Int32(k), 1,
                UnsafeRawPointer(a.base).assumingMemoryBound(to: Double.self), call.a.leading,
                UnsafeRawPointer(b.base).assumingMemoryBound(to: Double.self), call.b.leading, 0,
                UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), Int32(max(ldc, 1)))
        }
        return
    }
    parallelRanges(count: m, grain: Swift.max(1, (1 << 16) / Swift.max(1, n * k))) { rows in
        for i in rows {
            let row = c + i * ldc
            for j in 0..<n { row[j] = T.zeroValue }
            for p in 0..<k {
                let scale = a.base[i * a.rowStride + p * a.columnStride]
                let source = b.base + p * b.rowStride
                if b.columnStride == 1 {
                    for j in 0..<n { row[j] = T.add(row[j], T.multiply(scale, source[j])) }
                } else {
                    for j in 0..<n { row[j] = T.add(row[j], T.multiply(scale, source[j * b.columnStride])) }
                }
            }
        }
    }
}
