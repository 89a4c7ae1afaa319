import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where `flock start` leaves the running cluster's address and token for `flock status`,
/// `flock stop` and `Cluster.connect()` on this machine.
///
/// The token in it grants everything the cluster can do, so the file is treated like an
/// SSH key: it lives in a folder of this user's (`FLOCK_CLUSTER_FILE` when set, else
/// `$XDG_RUNTIME_DIR/flock/cluster.json`, else `flock-<uid>/cluster.json` in the temporary
/// folder, the folder made 0700), it is created with mode 0600 from its first byte and
/// renamed into place, and it is trusted only when it belongs to this user and nobody else
/// can read or write it; otherwise reading it throws `RuntimeError.untrustedClusterFile`
/// saying why, instead of connecting to whatever a planted file names.
public struct ClusterFile: Codable, Sendable, Equatable {
    /// host:port of the daemon.
    public var address: String
    /// The cluster's token.
    public var token: String
    /// The daemon's process id.
    public var processID: Int32

    /// A record of a daemon at `address`.
    public init(address: String, token: String, processID: Int32) {
        self.address = address
        self.token = token
        self.processID = processID
    }

    /// The cluster to talk to: `address` and `token` when given, else `FLOCK_ADDRESS` and
    /// `FLOCK_TOKEN`, else this file's record.
    /// - Throws: `RuntimeError.clusterUnreachable` saying how to start or name one, or
    ///   `RuntimeError.untrustedClusterFile` when the file may have been planted.
    public static func target(address: String? = nil, token: String? = nil) throws -> (address: String, token: String) {
        let environment = ProcessInfo.processInfo.environment
        let needsFile = (address ?? environment["FLOCK_ADDRESS"]) == nil || (token ?? environment["FLOCK_TOKEN"]) == nil
        let file = needsFile ? try read() : nil
        guard let address = address ?? environment["FLOCK_ADDRESS"] ?? file?.address else {
            throw RuntimeError.clusterUnreachable(
                "no cluster recorded in \(path): start one with `flock start --head`, or set FLOCK_ADDRESS")
        }
        guard let token = token ?? environment["FLOCK_TOKEN"] ?? file?.token else {
            throw RuntimeError.clusterUnreachable("no token for \(address): set FLOCK_TOKEN to the cluster's token")
        }
        return (address, token)
    }

    /// The file's path (its folder is made, 0700, when it is the default one).
    public static var path: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["FLOCK_CLUSTER_FILE"] { return path }
        let base: String
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            base = runtime + "/flock"
        } else {
            base = NSTemporaryDirectory() + "/flock-\(getuid())"
        }
        _ = mkdir(base, 0o700)
        return base + "/cluster.json"
    }

    /// The record in the file, or nil when there is none.
    /// - Throws: `RuntimeError.untrustedClusterFile` when the file or its folder belongs to
    ///   another user or others may read or change it.
    public static func read() throws -> ClusterFile? { try read(at: path) }

    /// Writes this record: a 0600 temporary file, synced, renamed over the old one.
    public func write() throws { try write(to: Self.path) }

    /// Deletes the file.
    public static func remove() { try? FileManager.default.removeItem(atPath: path) }

    // MARK: At a given path

    /// `read()` for the file at `path`.
    static func read(at path: String) throws -> ClusterFile? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        try checkTrusted(path: path, info: info)
        let folder = (path as NSString).deletingLastPathComponent
        var folderInfo = stat()
        if stat(folder.isEmpty ? "." : folder, &folderInfo) == 0 {
            // Whoever owns the folder can swap the file; root or we may, or a sticky
            // world-writable folder (/tmp) where only a file's owner can.
            let owner = folderInfo.st_uid
            let swappable = folderInfo.st_mode & 0o022 != 0 && folderInfo.st_mode & 0o1000 == 0
            if (owner != getuid() && owner != 0) || swappable {
                throw RuntimeError.untrustedClusterFile(
                    "\(folder) (the cluster file's folder) belongs to user \(owner) or lets others replace its "
                        + "files; set FLOCK_CLUSTER_FILE to a file in a folder of yours")
            }
        }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(ClusterFile.self, from: data)
        } catch {
            throw RuntimeError.untrustedClusterFile("\(path) is not a cluster record (\(error)); delete it")
        }
    }

    /// `write()` to the file at `path`.
    func write(to path: String) throws {
        let data = try JSONEncoder().encode(self)
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw RuntimeError.clusterUnreachable("cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let written = (try? handle.write(contentsOf: data)) != nil
        let synced = fsync(fd) == 0
        try? handle.close()
        guard written, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw RuntimeError.clusterUnreachable("cannot write \(path): \(reason)")
        }
    }

    /// Throws unless the file described by `info` is a regular file of this user's that
    /// nobody else can read or write.
    private static func checkTrusted(path: String, info: stat) throws {
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw RuntimeError.untrustedClusterFile("\(path) is not a regular file (a link or a device?); delete it")
        }
        guard info.st_uid == getuid() else {
            throw RuntimeError.untrustedClusterFile(
                "\(path) belongs to user \(info.st_uid), not to you (\(getuid())): it may have been planted; "
                    + "delete it or set FLOCK_CLUSTER_FILE to a file of yours")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw RuntimeError.untrustedClusterFile(
                "\(path) has mode \(String(info.st_mode & 0o777, radix: 8)): others may read or change the "
                    + "cluster's token; run `chmod 600 \(path)` if you trust its contents, or delete it")
        }
    }
}
