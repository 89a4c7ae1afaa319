import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes files so that a crash never leaves a half-written one under the final name:
/// the bytes go to a temporary file in the same folder, which is flushed to disk (fsync),
/// renamed over the target (atomic on POSIX file systems) and the folder entry flushed.
enum AtomicFile {
    /// Writes the chunks produced by `produce` (called with a write function) atomically.
    static func replace(_ path: String, with produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw CheckpointError.io(path: temporary, reason: String(cString: strerror(errno)))
        }
        var closed = false
        defer {
            if !closed { close(descriptor) }
        }
        do {
            try produce { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    guard written > 0 else {
                        throw CheckpointError.io(path: temporary, reason: String(cString: strerror(errno)))
                    }
                    offset += written
                }
            }
            guard fsync(descriptor) == 0 else {
                throw CheckpointError.io(path: temporary, reason: String(cString: strerror(errno)))
            }
            close(descriptor)
            closed = true
            guard rename(temporary, path) == 0 else {
                throw CheckpointError.io(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            if !closed { close(descriptor) }
            closed = true
            unlink(temporary)
            throw error
        }
        let folder = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}
