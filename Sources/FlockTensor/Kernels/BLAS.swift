import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A CBLAS library loaded at run time with `dlopen`, so Flock builds and runs without one
/// and uses one (OpenBLAS, BLIS, Accelerate, reference BLAS) when present.
///
/// `FLOCK_BLAS` chooses: unset or `auto` tries the known library names, `none` disables
/// BLAS, `openblas` / `blis` / `accelerate` name one, anything else is a path to dlopen.
public final class BLAS: @unchecked Sendable {
    typealias GEMMFloat =
        @convention(c) (
            Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
            UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
        ) -> Void
    typealias GEMMDouble =
        @convention(c) (
            Int32, Int32, Int32, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32,
            UnsafePointer<Double>?, Int32, Double, UnsafeMutablePointer<Double>?, Int32
        ) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void

    /// The library the process uses, or nil when none was found or `FLOCK_BLAS=none`.
    public static let shared: BLAS? = BLAS.load(request: ProcessInfo.processInfo.environment["FLOCK_BLAS"])

    /// The path or soname that was loaded.
    public let name: String
    let sgemm: GEMMFloat
    let dgemm: GEMMDouble?
    private let setThreads: SetThreads?

    // CBLAS enum values.
    static let rowMajor: Int32 = 101
    static let noTranspose: Int32 = 111
    static let transpose: Int32 = 112

    private init(name: String, sgemm: GEMMFloat, dgemm: GEMMDouble?, setThreads: SetThreads?) {
        self.name = name
        self.sgemm = sgemm
        self.dgemm = dgemm
        self.setThreads = setThreads
    }

    /// Candidate libraries for a `FLOCK_BLAS` value, in the order they are tried.
    static func candidates(for request: String?) -> [String] {
        let openblas = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"]
        let blis = ["libblis.so.4", "libblis.so"]
        let accelerate = ["/System/Library/Frameworks/Accelerate.framework/Accelerate"]
        switch request?.lowercased() {
        case nil, "", "auto": return openblas + blis + accelerate + ["libcblas.so.3", "libblas.so.3"]
        case "none", "off", "0": return []
        case "openblas": return openblas
        case "blis": return blis
        case "accelerate": return accelerate
        case .some: return request.map { [$0] } ?? []  // a path, in its original case
        }
    }

    /// Loads the first candidate for `request` that exports `cblas_sgemm`.
    static func load(request: String?) -> BLAS? {
        for candidate in candidates(for: request) {
            guard let handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let sgemm = dlsym(handle, "cblas_sgemm") else {
                dlclose(handle)
                continue
            }
            let dgemm = dlsym(handle, "cblas_dgemm")
            let threads = dlsym(handle, "openblas_set_num_threads")
            let blas = BLAS(
                name: candidate,
                sgemm: unsafeBitCast(sgemm, to: GEMMFloat.self),
                dgemm: dgemm.map { unsafeBitCast($0, to: GEMMDouble.self) },
                setThreads: threads.map { unsafeBitCast($0, to: SetThreads.self) })
            // The library's own threads follow FLOCK_NUM_THREADS like Flock's pool does
            // (OpenBLAS would otherwise start one per core in every process).
            blas.setThreadCount(ThreadPool.defaultThreadCount)
            return blas
        }
        return nil
    }

    private let callLock = NSLock()

    /// Runs `body` (a call into the library) while no other thread calls it.
    func serialized<R>(_ body: () -> R) -> R {
        callLock.withLock(body)
    }

    /// Sets the library's own thread count, where it has one (OpenBLAS).
    public func setThreadCount(_ count: Int) {
        setThreads?(Int32(clamping: count))
    }
}

extension BLAS {
    /// Calls the library's `cblas_sgemm` directly: C = A * B for row-major contiguous
    /// matrices (A m x k, B k x n, C m x n). For benchmarks that compare Flock's matmul
    /// with the bare library call.
    public func sgemmRowMajor(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    ) {
        serialized {
            sgemm(
                BLAS.rowMajor, BLAS.noTranspose, BLAS.noTranspose, Int32(m), Int32(n), Int32(k), 1,
                a, Int32(Swift.max(k, 1)), b, Int32(Swift.max(n, 1)), 0, c, Int32(Swift.max(n, 1)))
        }
    }
}
