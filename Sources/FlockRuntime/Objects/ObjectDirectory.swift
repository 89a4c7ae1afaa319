import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The files of one node's object store, shared by every process of the node: large
/// objects live in `memory` (a folder in /dev/shm, so reading one is mapping it) and are
/// moved to `spill` (on disk) when the store passes its memory limit. A file is named by
/// its object's id, so any process finds an object from its id alone; it is written under
/// a temporary name and renamed into place, so a reader never sees half an object, and a
/// spilled object is in place on disk before its memory copy goes, so a reader that misses
/// the one finds the other. The memory files of freed objects wait in `free` for new
/// objects to be written over them, by whichever process of the node writes next.
struct ObjectDirectory: Sendable {
    /// The folder of objects in memory.
    let memory: String
    /// The folder of freed objects' memory files kept for reuse (inside `memory`).
    var free: String { "\(memory)/free" }
    /// The folder of spilled objects.
    let spill: String
    /// The node this store belongs to (0: the head's).
    var node = 0

    /// Fresh folders for a new store (named after this process, so that a later store can
    /// tell leftovers of a dead one).
    static func create(node: Int = 0) throws -> ObjectDirectory {
        let shm = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let name = "flock-objects-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let directory = ObjectDirectory(
            memory: "\(shm)/\(name)", spill: "\(NSTemporaryDirectory())/\(name)-spill", node: node)
        for path in [directory.memory, directory.free, directory.spill] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        return directory
    }

    /// The location of `value` as object `id`: inline when small, else a file, written over
    /// a free file (`takeFreeFile`) when one is large enough: the kernel zeroes every fresh
    /// page of shared memory, and on this project's VMs that zeroing was the largest cost of
    /// a shuffle (half of a worker's time in q10, BENCHMARKS.md session 15).
    /// - Throws: the encoding's error, or `RuntimeError.storeFull` when the file cannot be written.
    func store<Value: Encodable>(_ value: Value, as id: UInt64) throws -> ObjectLocation {
        if let writable = value as? any WritableObject {
            let size = ObjectCoding.headerSize + writable.byteCount
            if size > ObjectLocation.inlineLimit {
                return try file(id, size: size) { writer in
                    try writer.fill { target in
                        target.copyBytes(from: ObjectCoding.bytesHeader)
                        writable.write(
                            into: UnsafeMutableRawBufferPointer(rebasing: target[ObjectCoding.headerSize...]))
                    }
                }
            }
        }
        return try ObjectCoding.withEncoded(value) { header, payload in
            let size = header.count + payload.count
            guard size > ObjectLocation.inlineLimit else { return .inline(header + Array(payload)) }
            return try file(id, size: size) { writer in
                try header.withUnsafeBytes { try writer.write($0, at: 0) }
                try writer.write(UnsafeRawBufferPointer(payload), at: header.count)
            }
        }
    }

    /// Object `id`'s file of `size` bytes, over a free file when one is large enough,
    /// filled by `fill` and put in place.
    private func file(_ id: UInt64, size: Int, _ fill: (ObjectWriter) throws -> Void) throws -> ObjectLocation {
        let writer = try ObjectWriter(id: id, size: size, in: memory, reusing: takeFreeFile(atLeast: size))
        try fill(writer)
        try writer.commit()
        return .stored(size: size, node: node)
    }

    /// The bytes of object `id` at `location`.
    /// - Throws: `RuntimeError.objectLost` when its file is gone from memory and disk.
    func read(_ id: UInt64, at location: ObjectLocation) throws -> ObjectBytes {
        switch location {
        case .inline(let bytes):
            return ObjectBytes(bytes)
        case .stored:
            for path in ["\(memory)/\(id)", "\(spill)/\(id)"] {
                if let bytes = try ObjectBytes(mapping: path) { return bytes }
            }
            throw RuntimeError.objectLost(id, reason: "its file is in neither \(memory) nor \(spill)")
        }
    }

    /// Whether object `id` has a file here (in memory or spilled).
    func holds(_ id: UInt64) -> Bool {
        access("\(memory)/\(id)", F_OK) == 0 || access("\(spill)/\(id)", F_OK) == 0
    }

    /// Moves object `id` from memory to disk.
    func spillObject(_ id: UInt64) throws {
        let source = "\(memory)/\(id)"
        let temporary = "\(spill)/\(id).partial"
        unlink(temporary)
        do {
            try FileManager.default.copyItem(atPath: source, toPath: temporary)
        } catch {
            throw RuntimeError.storeFull("cannot spill object \(id) to \(spill): \(error)")
        }
        guard rename(temporary, "\(spill)/\(id)") == 0 else { throw storeError("rename \(temporary)") }
        unlink(source)
    }

    /// Moves object `id`'s memory file into `free`; false when it is not there.
    func keepForReuse(_ id: UInt64) -> Bool { rename("\(memory)/\(id)", "\(free)/\(id)") == 0 }

    /// The files waiting in `free`, with their sizes.
    func freeFiles() -> [(path: String, size: Int)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: free)) ?? []
        return names.compactMap { name in
            let path = "\(free)/\(name)"
            var info = stat()
            return stat(path, &info) == 0 ? (path, Int(info.st_size)) : nil
        }
    }

    /// The smallest free file of at least `size` bytes, taken out of `free` (renamed, so
    /// that no other process takes it too), or nil when there is none.
    func takeFreeFile(atLeast size: Int) -> String? {
        let taken = "\(memory)/taken.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        for file in freeFiles().filter({ $0.size >= size }).sorted(by: { $0.size < $1.size }) {
            if rename(file.path, taken) == 0 { return taken }  // else another process was first
        }
        return nil
    }

    /// Deletes object `id`'s files.
    func remove(_ id: UInt64) {
        unlink("\(memory)/\(id)")
        unlink("\(spill)/\(id)")
    }

    /// Deletes both folders and everything in them.
    func removeAll() {
        for path in [memory, spill] { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Deletes the folders of stores whose process is gone (a driver killed with -9). Only
    /// this user's folders: another user's (or another container's, whose processes this
    /// one cannot see) may belong to a live cluster even when its pid looks unused here.
    static func removeLeftovers() {
        for folder in Set(["/dev/shm", NSTemporaryDirectory()]) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for name in names where name.hasPrefix("flock-objects-") {
                let path = "\(folder)/\(name)"
                let parts = name.split(separator: "-")
                var info = stat()
                guard parts.count >= 4, let pid = Int32(parts[2]), lstat(path, &info) == 0, info.st_uid == getuid(),
                    kill(pid, 0) != 0, errno == ESRCH
                else { continue }
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }

    private func storeError(_ what: String) -> RuntimeError {
        .storeFull("cannot \(what): \(String(cString: strerror(errno)))")
    }
}
