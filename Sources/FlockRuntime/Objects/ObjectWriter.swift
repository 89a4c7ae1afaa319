import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One object file being written into a node's store: a file of the final size under a
/// temporary name, filled in one go (`ObjectDirectory.store`) or piece by piece as it
/// arrives from another node (`ObjectPeers`), then renamed into place, so a reader never
/// sees half an object. Filled through a writable mapping when `mapped` (over a reused
/// file's pages that is about twice as fast as write(2)), else with pwrite(2), which spares
/// the zeroing of fresh pages that a mapping costs.
final class ObjectWriter: @unchecked Sendable {  // used by one thread at a time
    private let path: String
    private let temporary: String
    private let descriptor: Int32
    private let address: UnsafeMutableRawPointer?
    /// The file's size in bytes.
    let size: Int
    private var open = true

    /// Creates object `id`'s file of `size` bytes in `folder`, over `reusing` (a free
    /// file of the store: writing over pages that exist is about twice as fast) if given.
    /// - Throws: `RuntimeError.storeFull` when the file cannot be created or mapped.
    init(id: UInt64, size: Int, in folder: String, reusing free: String? = nil, mapped: Bool = true) throws {
        path = "\(folder)/\(id)"
        temporary = "\(path).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).partial"
        self.size = size
        if let free, rename(free, temporary) != 0 { unlink(free) }
        descriptor = Glibc.open(temporary, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.error("create \(temporary)") }
        // Reserve every byte now: a mapping of a sparse file on a full tmpfs or disk would
        // kill the process with SIGBUS at the first write to a page that cannot be had.
        // Filled by pwrite(2) instead, a full store is an ENOSPC error from that write, and
        // reserving would make tmpfs zero every page first (a tenth of a pull's time).
        let reserved = size > 0 && mapped ? posix_fallocate(descriptor, 0, off_t(size)) : 0
        guard ftruncate(descriptor, off_t(size)) == 0, reserved == 0 else {
            if reserved != 0 { errno = reserved }
            let error = Self.error("reserve \(size) bytes for \(temporary)")
            close(descriptor)
            unlink(temporary)
            throw error
        }
        guard mapped else {
            address = nil
            return
        }
        guard let address = mmap(nil, max(size, 1), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, descriptor, 0),
            address != MAP_FAILED
        else {
            let error = Self.error("map \(temporary)")
            close(descriptor)
            unlink(temporary)
            throw error
        }
        self.address = address
    }

    deinit { abandon() }

    /// Copies `bytes` to `offset` in the file.
    /// - Precondition: `offset + bytes.count <= size` (checked by the callers, who know the total).
    /// - Throws: `RuntimeError.storeFull` when the file system refuses the bytes.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if let address { return (address + offset).copyMemory(from: base, byteCount: bytes.count) }
        var written = 0
        while written < bytes.count {
            let count = pwrite(descriptor, base + written, bytes.count - written, off_t(offset + written))
            guard count > 0 else {
                if count < 0 && errno == EINTR { continue }
                throw Self.error("write \(temporary)")
            }
            written += count
        }
    }

    /// Calls `body` with the whole file's memory to fill (a mapped writer's; an unmapped
    /// one's through a buffer then written).
    /// - Throws: `RuntimeError.storeFull` when the file system refuses the bytes.
    func fill(_ body: (UnsafeMutableRawBufferPointer) -> Void) throws {
        if let address { return body(UnsafeMutableRawBufferPointer(start: address, count: size)) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        body(buffer)
        try write(UnsafeRawBufferPointer(buffer), at: 0)
    }

    /// Puts the finished file in place under the object's id.
    /// - Throws: `RuntimeError.storeFull` when the rename fails.
    func commit() throws {
        guard open else { return }
        open = false
        release()
        guard rename(temporary, path) == 0 else {
            let error = Self.error("rename \(temporary)")
            unlink(temporary)
            throw error
        }
    }

    /// Drops an unfinished file.
    func abandon() {
        guard open else { return }
        open = false
        release()
        unlink(temporary)
    }

    private func release() {
        if let address { munmap(address, max(size, 1)) }
        close(descriptor)
    }

    private static func error(_ what: String) -> RuntimeError {
        .storeFull("cannot \(what): \(String(cString: strerror(errno)))")
    }
}
