import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes the instant this process left its job to the file `flock launch` names in
/// `FLOCK_EXIT_RECORD` (CLOCK_MONOTONIC nanoseconds, as text), so the launcher can tell
/// which worker failed first: the order in which it is told of its children's exits is not
/// the order they exited in when several end within moments (one rank's error makes the
/// others fail too). The instant is the first of: the job's process group closing (a rank
/// that throws closes its connections while the error unwinds, before it exits, and the
/// others fail from then on) and the process exiting (an `atexit` handler). Crashes and
/// signals leave no record; for those the launcher falls back to when it learned of the exit.
package enum ExitRecord {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var path: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var written = false

    /// Arranges the record once per process, when `environment` asks for one.
    static func arm(_ environment: [String: String]) {
        guard let file = environment["FLOCK_EXIT_RECORD"] else { return }
        let first = lock.withLock {
            defer { if path == nil { path = strdup(file) } }
            return path == nil
        }
        guard first else { return }
        atexit { ExitRecord.leaving() }
    }

    /// Records now as the instant this process left its job, unless an earlier instant is
    /// recorded already or no record was asked for. Plain system calls only: this runs
    /// while the process is exiting, too.
    static func leaving() {
        lock.lock()
        defer { lock.unlock() }
        guard let path, !written else { return }
        written = true
        let text = "\(now())"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        _ = text.withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
    }

    /// The instant recorded in `file` (CLOCK_MONOTONIC nanoseconds), if there is one.
    package static func read(_ file: String) -> Int64? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return Int64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// CLOCK_MONOTONIC now, in nanoseconds (comparable with recorded instants).
    package static func now() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
