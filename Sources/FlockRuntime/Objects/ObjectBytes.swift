import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An object's bytes, read for as long as this value lives: an inline copy, or a
/// read-only mapping of the store's file (no copy; the mapping stays valid even if the
/// store frees or spills the file meanwhile).
final class ObjectBytes: @unchecked Sendable {  // immutable after init
    /// The bytes, valid while this value lives.
    let bytes: UnsafeRawBufferPointer
    /// Whether `bytes` is a mapping (else memory this value allocated).
    private let mapped: Bool

    init(_ inline: [UInt8]) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: inline.count, alignment: 8)
        inline.withUnsafeBytes { copy.copyMemory(from: $0) }
        bytes = UnsafeRawBufferPointer(copy)
        mapped = false
    }

    /// Maps the file at `path`; nil when there is no such file. Pages are mapped as they
    /// are touched, not all at once (MAP_POPULATE): a reducer reads one piece of each map
    /// output and a task often a few columns of a batch, and populating every page of
    /// them made the cluster's group-by queries a quarter slower (BENCHMARKS.md, session 15).
    /// - Throws: `RuntimeError.malformedObject` when it cannot be mapped.
    init?(mapping path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw RuntimeError.malformedObject("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw RuntimeError.malformedObject("cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        let size = Int(status.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 8))
            mapped = false
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0),
            address != MAP_FAILED
        else {
            throw RuntimeError.malformedObject("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
        mapped = true
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            bytes.deallocate()
        }
    }

    /// Calls `body` with the bytes.
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(self) { try body(bytes) }
    }
}
