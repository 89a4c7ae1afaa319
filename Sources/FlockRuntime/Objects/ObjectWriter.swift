import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One object file being written into a node's store: a file of the final size under a
/// temporary name, mapped writable (write(2) into tmpfs costs about twice a memcpy), filled
/// in one go (`ObjectDirectory.store`) or piece by piece as it arrives from another node
/// (`ObjectPeers`), then renamed into place, so a reader never sees half an object.
final class ObjectWriter: @unchecked Sendable {  // used by one thread at a time
    private let path: String
    private let temporary: String
    private let address: UnsafeMutableRawPointer
    /// The file's size in bytes.
    let size: Int
    private var open = true

    /// Creates object `id`'s file of `size` bytes in `folder`, over `reusing` (a free
    /// file of the store: writing over pages that exist is about twice as fast) if given.
    /// - Throws: `RuntimeError.storeFull` when the file cannot be created or mapped.
    init(id: UInt64, size: Int, in folder: String, reusing free: String? = nil) throws {
        path = "\(folder)/\(id)"
        temporary = "\(path).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).partial"
        self.size = size
        if let free, rename(free, temporary) != 0 { unlink(free) }
        let descriptor = Glibc.open(temporary, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.error("create \(temporary)") }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            unlink(temporary)
            throw Self.error("size \(temporary)")
        }
        guard let address = mmap(nil, max(size, 1), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, descriptor, 0),
            address != MAP_FAILED
        else {
            unlink(temporary)
            throw Self.error("map \(temporary)")
        }
        self.address = address
    }

    deinit { abandon() }

    /// Copies `bytes` to `offset` in the file.
    /// - Precondition: `offset + bytes.count <= size` (checked by the callers, who know the total).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        (address + offset).copyMemory(from: base, byteCount: bytes.count)
    }

    /// Puts the finished file in place under the object's id.
    /// - Throws: `RuntimeError.storeFull` when the rename fails.
    func commit() throws {
        guard open else { return }
        open = false
        munmap(address, max(size, 1))
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
        munmap(address, max(size, 1))
        unlink(temporary)
    }

    private static func error(_ what: String) -> RuntimeError {
        .storeFull("cannot \(what): \(String(cString: strerror(errno)))")
    }
}
