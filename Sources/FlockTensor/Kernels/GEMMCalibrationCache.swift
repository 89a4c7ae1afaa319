import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The on-disk home of `GEMMCalibration`s: `gemm-calibration.json` (a JSON object from
/// key to calibration) in a 0700 directory, replaced whole by rename so a reader never
/// sees half a file, written 0600 and read only when it is this user's and 0600. A lock
/// file makes processes that start together measure one at a time: the first measures
/// and writes, the others then read its result. A holder that never lets go (a stopped
/// process) costs the others 5 seconds, after which they measure on their own.
struct GEMMCalibrationCache {
    let directory: URL

    /// `$XDG_CACHE_HOME/flock`, else `~/.cache/flock`; nil without a home directory.
    static var `default`: GEMMCalibrationCache? {
        let environment = ProcessInfo.processInfo.environment
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            return GEMMCalibrationCache(directory: URL(fileURLWithPath: cache).appendingPathComponent("flock"))
        }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return GEMMCalibrationCache(directory: URL(fileURLWithPath: home).appendingPathComponent(".cache/flock"))
    }

    private var file: URL { directory.appendingPathComponent("gemm-calibration.json") }

    /// The calibration stored under `key`, or `measure()`'s, stored under it before it is
    /// returned. Nil when the directory cannot be made or locked (the caller then measures).
    func calibration(for key: String, measure: () -> GEMMCalibration) -> GEMMCalibration? {
        guard
            (try? FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])) != nil
        else { return nil }
        let lock = open(
            directory.appendingPathComponent("gemm-calibration.lock").path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0 else { return nil }
        defer { close(lock) }  // closing releases the lock
        var waited = 0
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {
            guard waited < 500 else { break }  // 5 s: measure without it
            usleep(10_000)
            waited += 1
        }
        var table = read()
        if let stored = table[key] { return stored }
        let measured = measure()
        table[key] = measured
        write(table)
        return measured
    }

    /// The stored table; empty when the file is missing, not this user's 0600 file, or malformed.
    func read() -> [String: GEMMCalibration] {
        var status = stat()
        guard stat(file.path, &status) == 0, status.st_uid == getuid(), status.st_mode & 0o777 == 0o600,
            status.st_mode & S_IFMT == S_IFREG, status.st_size < 1 << 20,
            let data = FileManager.default.contents(atPath: file.path),
            let table = try? JSONDecoder().decode([String: GEMMCalibration].self, from: data)
        else { return [:] }
        return table
    }

    /// Replaces the file with `table` (best effort: a cache that cannot be written is measured again next time).
    private func write(_ table: [String: GEMMCalibration]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(table) else { return }
        let temporary = directory.appendingPathComponent("gemm-calibration.\(getpid()).tmp")
        guard
            FileManager.default.createFile(
                atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600])
        else { return }
        if rename(temporary.path, file.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
    }
}
