import Foundation

/// Where this process stands in a distributed job, read from the environment that
/// launchers set, so the same program runs under `flock launch`, torchrun, Slurm or
/// Open MPI without changes. Looked up in this order:
///
/// 1. `FLOCK_RANK`, `FLOCK_WORLD_SIZE`, `FLOCK_MASTER_ADDR`, `FLOCK_MASTER_PORT`;
/// 2. torchrun's `RANK`, `WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`;
/// 3. Slurm's `SLURM_PROCID`, `SLURM_NTASKS`, and the first host of `SLURM_NODELIST`;
/// 4. Open MPI's `OMPI_COMM_WORLD_RANK`, `OMPI_COMM_WORLD_SIZE` (address from 1 or 2).
///
/// The port defaults to 29500 (torchrun's). `FLOCK_TOKEN` (required) is the shared
/// secret every connection proves it knows. `FLOCK_STORE=launcher` says the launcher hosts
/// the store; otherwise rank 0 does. `FLOCK_GROUP` names the group (default "world").
public struct DistributedEnvironment: Sendable, Equatable {
    public var rank: Int
    public var worldSize: Int
    /// The store's host (rank 0's or the launcher's).
    public var masterAddress: String
    public var masterPort: Int
    public var token: String
    /// Whether rank 0 starts the store server (false when a launcher hosts it).
    public var rankZeroHostsStore: Bool
    /// The process group's name, which prefixes its keys in the store (`FLOCK_GROUP`,
    /// default "world"; the elastic launcher gives each restart round its own).
    public var groupName = "world"

    /// Reads the job description from `environment`.
    /// - Throws: `CommError.environment` naming the missing or malformed variable.
    public static func detect(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> DistributedEnvironment
    {
        func integer(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw CommError.environment(reason: "\(name)=\"\(text)\" is not an integer")
            }
            return value
        }
        let address = environment["FLOCK_MASTER_ADDR"] ?? environment["MASTER_ADDR"]
        let port = try integer("FLOCK_MASTER_PORT") ?? integer("MASTER_PORT") ?? 29500
        var found: (rank: Int, size: Int, address: String?)?
        if let rank = try integer("FLOCK_RANK"), let size = try integer("FLOCK_WORLD_SIZE") {
            found = (rank, size, address)
        } else if let rank = try integer("RANK"), let size = try integer("WORLD_SIZE") {
            found = (rank, size, address)
        } else if let rank = try integer("SLURM_PROCID"), let size = try integer("SLURM_NTASKS") {
            found = (rank, size, address ?? environment["SLURM_NODELIST"].flatMap(firstSlurmHost))
        } else if let rank = try integer("OMPI_COMM_WORLD_RANK"), let size = try integer("OMPI_COMM_WORLD_SIZE") {
            found = (rank, size, address)
        }
        guard let found else {
            throw CommError.environment(
                reason: "no rank and world size: set FLOCK_RANK/FLOCK_WORLD_SIZE (or RANK/WORLD_SIZE), "
                    + "or run under Slurm or Open MPI")
        }
        guard found.size > 0, (0..<found.size).contains(found.rank) else {
            throw CommError.environment(reason: "rank \(found.rank) is not in 0..<\(found.size)")
        }
        guard let host = found.address, !host.isEmpty else {
            throw CommError.environment(reason: "no store address: set FLOCK_MASTER_ADDR or MASTER_ADDR")
        }
        guard (1...65535).contains(port) else {
            throw CommError.environment(reason: "master port \(port) is out of range")
        }
        guard let token = environment["FLOCK_TOKEN"], !token.isEmpty else {
            throw CommError.environment(
                reason: "FLOCK_TOKEN is not set: every rank needs the job's shared token (flock launch sets one)")
        }
        try JobToken.checkStrength(token, host: host)
        var job = DistributedEnvironment(
            rank: found.rank, worldSize: found.size, masterAddress: host, masterPort: port, token: token,
            rankZeroHostsStore: environment["FLOCK_STORE"] != "launcher")
        if let name = environment["FLOCK_GROUP"], !name.isEmpty { job.groupName = name }
        return job
    }

    /// The first host of a Slurm node list: "node[03-05,9],gpu1" gives "node03".
    static func firstSlurmHost(_ list: String) -> String? {
        var depth = 0
        var first = ""
        for character in list {
            if character == "," && depth == 0 { break }
            if character == "[" { depth += 1 }
            if character == "]" { depth -= 1 }
            first.append(character)
        }
        guard let open = first.firstIndex(of: "[") else { return first.isEmpty ? nil : first }
        let prefix = first[..<open]
        let inside = first[first.index(after: open)...].prefix { $0 != "]" }
        let range = inside.split(separator: ",").first.map(String.init) ?? ""
        let start = range.split(separator: "-").first.map(String.init) ?? ""
        return start.isEmpty ? nil : prefix + start
    }
}

extension DistributedEnvironment {
    /// The address a listener for peers that reach this host as `host` binds to: `host`
    /// itself (so a job on 127.0.0.1 is reachable from this machine only, and one on a
    /// cluster network from that network only), or `FLOCK_BIND_ADDR` when set (for
    /// example 0.0.0.0, every interface, behind NAT where the advertised name is not local).
    public static func bindAddress(for host: String) -> String {
        ProcessInfo.processInfo.environment["FLOCK_BIND_ADDR"] ?? host
    }
}

extension ProcessGroup {
    /// Joins the job described by the environment (see `DistributedEnvironment`): rank 0
    /// starts the store server unless a launcher hosts it, every rank connects to it and
    /// the group's mesh is built. Waits up to `timeout` for every rank to arrive.
    public static func initialize(
        _ environment: DistributedEnvironment? = nil, timeout: Duration = .seconds(300)
    ) throws -> ProcessGroup {
        let job = try environment ?? DistributedEnvironment.detect()
        LauncherWatch.start(ProcessInfo.processInfo.environment)
        ExitRecord.arm(ProcessInfo.processInfo.environment)
        let storeHost = DistributedEnvironment.bindAddress(for: job.masterAddress)
        let server =
            job.rank == 0 && job.rankZeroHostsStore
            ? try RendezvousServer(host: storeHost, port: job.masterPort, token: job.token) : nil
        let store = try RendezvousStore(
            host: job.masterAddress, port: job.masterPort, token: job.token, timeout: timeout)
        let loopback = JobToken.isLoopback(job.masterAddress)
        let advertised =
            ProcessInfo.processInfo.environment["FLOCK_ADVERTISE_ADDR"]
            ?? (loopback ? "127.0.0.1" : ProcessInfo.processInfo.hostName)
        let group = try ProcessGroup(
            store: store, rank: job.rank, worldSize: job.worldSize, key: Handshake.key(token: job.token),
            name: job.groupName, timeout: timeout, advertisedHost: advertised, server: server)
        group.marksLeaving = true
        return group
    }
}
