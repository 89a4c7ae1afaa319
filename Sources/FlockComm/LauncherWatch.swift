import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Ends a worker whose launcher has died. `flock launch` puts its process id in
/// `FLOCK_LAUNCHER_PID`; a worker that joins its group from the environment watches its
/// parent, and when the parent is no longer the launcher (it was killed, so the worker was
/// re-parented), it exits instead of running on as an orphan no one supervises.
enum LauncherWatch {
    private static let started = NSLock()
    nonisolated(unsafe) private static var isStarted = false

    /// Starts the watch once per process, if `environment` names a launcher that is this
    /// process's parent.
    static func start(_ environment: [String: String]) {
        guard let launcher = environment["FLOCK_LAUNCHER_PID"].flatMap(Int32.init), getppid() == launcher else {
            return
        }
        let first = started.withLock {
            defer { isStarted = true }
            return !isStarted
        }
        guard first else { return }
        let thread = Thread {
            while getppid() == launcher { usleep(200_000) }
            // A plain write(2) whose failure is ignored: stderr is usually a pipe to the dead
            // launcher, and FileHandle.write traps on EPIPE when SIGPIPE is ignored (the crash
            // report then kept workers alive for seconds under CI load).
            let message = "flock: the launcher (pid \(launcher)) is gone; exiting\n"
            _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            // _exit, not exit: other threads are still running, and exit's atexit handlers
            // and destructors can deadlock with them (a test under load caught a worker
            // that never finished exiting).
            _exit(70)
        }
        thread.name = "flock-launcher-watch"
        thread.start()
    }
}
