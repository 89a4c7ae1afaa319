import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An object's bytes, read for as long as this value lives: an inline copy, or a
/// read-only mapping of the store's file (no copy; the mapping stays valid even if the
/// store frees or spills the file meanwhile).
final class ObjectBytes: @unchecked Sendable {  // immutable after init
    private let inline: [UInt8]
    private let mapping: UnsafeRawBufferPointer?

    init(_ bytes: [UInt8]) {
        inline = bytes
        mapping = nil
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
        inline = []
        guard size > 0 else {
            mapping = nil
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0),
            address != MAP_FAILED
        else {
            throw RuntimeError.malformedObject("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        mapping = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let mapping { munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress), mapping.count) }
    }

    /// Calls `body` with the bytes.
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        if let mapping { return try body(mapping) }
        return try inline.withUnsafeBytes(body)
    }
}
