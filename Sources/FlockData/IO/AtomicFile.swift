import Foundation

/// Writing a file so that readers see all of it or none: the bytes go to a temporary file
/// beside it, renamed into place only when complete (a failure removes the temporary).
enum AtomicFile {
    /// Runs `body` with a handle to write, then moves the result to `path`.
    /// - Throws: `body`'s error or the file system's; nothing is left at `path` then.
    static func write(to path: String, _ body: (FileHandle) throws -> Void) throws {
        let temporary = path + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporary)
        else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary]) }
        do {
            try body(handle)
            try handle.synchronize()
            try handle.close()
            guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
