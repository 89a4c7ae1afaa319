import Foundation
import Testing

@testable import FlockRuntime

/// The cluster file holds the cluster's token: it must be created private and refused when
/// someone else could have planted or read it (issue 11).
@Suite("Cluster file trust")
struct ClusterFileTests {
    let folder: String = {
        let path = NSTemporaryDirectory() + "/flock-cluster-file-\(UUID())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
    let record = ClusterFile(address: "127.0.0.1:4000", token: "secret", processID: 42)

    func permissions(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test("a written file is 0600 and reads back; a missing one reads as nil")
    func writeAndRead() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cluster.json"
        #expect(try ClusterFile.read(at: path) == nil)
        try record.write(to: path)
        #expect(try permissions(path) == 0o600)
        #expect(try ClusterFile.read(at: path) == record)
        // Rewriting replaces it whole (no temporary files left behind).
        try ClusterFile(address: "127.0.0.1:4001", token: "t2", processID: 43).write(to: path)
        #expect(try ClusterFile.read(at: path)?.address == "127.0.0.1:4001")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["cluster.json"])
    }

    @Test("a file others may read or write (0666, 0644) is refused, saying why")
    func looseMode() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cluster.json"
        for mode in [0o666, 0o644] {
            try record.write(to: path)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            #expect {
                try ClusterFile.read(at: path)
            } throws: { error in
                "\(error)".contains("has mode \(String(mode, radix: 8))") && "\(error)".contains("chmod 600")
            }
        }
    }

    @Test("a file owned by another user is refused", .enabled(if: getuid() == 0, "needs root to chown"))
    func plantedByAnotherUser() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cluster.json"
        try record.write(to: path)
        #expect(chown(path, 65534, 65534) == 0)
        #expect {
            try ClusterFile.read(at: path)
        } throws: { error in
            "\(error)".contains("belongs to user 65534") && "\(error)".contains("planted")
        }
    }

    @Test("a file in a folder others may change is refused")
    func looseFolder() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cluster.json"
        try record.write(to: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: folder)
        #expect {
            try ClusterFile.read(at: path)
        } throws: { error in
            "\(error)".contains("lets others replace its files")
        }
    }

    @Test("a symbolic link in the file's place is refused")
    func symbolicLink() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = folder + "/elsewhere.json"
        try record.write(to: target)
        try FileManager.default.createSymbolicLink(atPath: folder + "/cluster.json", withDestinationPath: target)
        #expect {
            try ClusterFile.read(at: folder + "/cluster.json")
        } throws: { error in
            "\(error)".contains("not a regular file")
        }
    }

    @Test("the default location is a private folder of this user's, not the shared temporary folder")
    func defaultLocation() throws {
        guard ProcessInfo.processInfo.environment["FLOCK_CLUSTER_FILE"] == nil else { return }
        let folder = (ClusterFile.path as NSString).deletingLastPathComponent
        #expect(folder != (NSTemporaryDirectory() as NSString).standardizingPath)
        #expect(try permissions(folder) & 0o077 == 0)
    }
}

@Suite("What a driver's environment forwards to its workers")
struct ForwardedEnvironmentTests {
    @Test("only Flock's settings and named variables travel; tokens and secrets never do")
    func allowList() {
        let driver = [
            "AWS_SECRET_ACCESS_KEY": "s3cr3t", "PATH": "/usr/bin", "FLOCK_TOKEN": "t", "FLOCK_ADDRESS": "h:1",
            "FLOCK_RUNTIME_HEAD": "x", "FLOCK_BLAS": "none", "DATA_DIR": "/data", "MODEL": "m", "FLOCK_ENV": "MODEL",
        ]
        let forwarded = RemoteCluster.forwardedEnvironment(driver, names: ["DATA_DIR"])
        #expect(forwarded == ["FLOCK_BLAS": "none", "DATA_DIR": "/data", "MODEL": "m", "FLOCK_ENV": "MODEL"])
    }
}

@Suite("Stale object stores")
struct LeftoverStoreTests {
    @Test(
        "leftovers of dead processes are deleted only when they are this user's",
        .enabled(if: getuid() == 0, "needs root to make another user's folder"))
    func onlyOwnLeftovers() throws {
        // A pid far above pid_max is never alive.
        let mine = "/dev/shm/flock-objects-99999999-\(UInt32.random(in: 0...UInt32.max))"
        let theirs = "/dev/shm/flock-objects-99999998-\(UInt32.random(in: 0...UInt32.max))"
        for path in [mine, theirs] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(atPath: theirs) }
        #expect(chown(theirs, 65534, 65534) == 0)
        ObjectDirectory.removeLeftovers()
        #expect(!FileManager.default.fileExists(atPath: mine))
        #expect(FileManager.default.fileExists(atPath: theirs))
    }
}

@Suite("A full object store")
struct FullStoreTests {
    /// Mounts a tmpfs of `megabytes` at a fresh folder (nil where this runner may not mount).
    static func smallTmpfs(megabytes: Int) -> String? {
        let folder = NSTemporaryDirectory() + "/flock-tmpfs-\(UUID())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return mount("tmpfs", folder, "tmpfs", 0, "size=\(megabytes)m") == 0 ? folder : nil
    }

    static let canMount: Bool = {
        guard let folder = smallTmpfs(megabytes: 1) else { return false }
        umount(folder)
        try? FileManager.default.removeItem(atPath: folder)
        return true
    }()

    @Test(
        "a put larger than a 16 MiB tmpfs throws storeFull instead of dying of SIGBUS; smaller ones still fit",
        .enabled(if: canMount, "needs the privilege to mount a tmpfs"))
    func fullTmpfs() throws {
        let folder = try #require(Self.smallTmpfs(megabytes: 16))
        defer {
            umount(folder)
            try? FileManager.default.removeItem(atPath: folder)
        }
        let directory = ObjectDirectory(memory: folder, spill: folder + "-spill")
        #expect {
            try directory.store([Float](repeating: 1, count: 8 << 20), as: 1)  // 32 MiB
        } throws: { error in
            "\(error)".contains("cannot take the object") && "\(error)".contains("No space left")
        }
        // The failed put left nothing behind: a 12 MiB object still fits.
        let location = try directory.store([Float](repeating: 2, count: 3 << 20), as: 2)
        #expect(location == .stored(size: ObjectCoding.headerSize + (12 << 20), node: 0))
    }
}
