import Testing

@testable import FlockComm

/// A token strong enough for jobs on other machines (see `JobToken.checkStrength`).
let strongToken = "0123456789abcdef0123"

@Suite("Distributed environment detection")
struct EnvironmentTests {
    @Test("FLOCK_ variables win over torchrun's; port defaults to 29500")
    func flockAndTorchrun() throws {
        let job = try DistributedEnvironment.detect([
            "FLOCK_RANK": "2", "FLOCK_WORLD_SIZE": "4", "RANK": "0", "WORLD_SIZE": "1",
            "MASTER_ADDR": "head", "FLOCK_TOKEN": strongToken,
        ])
        #expect(job.rank == 2 && job.worldSize == 4 && job.masterAddress == "head" && job.masterPort == 29500)
        #expect(job.rankZeroHostsStore)
        let torchrun = try DistributedEnvironment.detect([
            "RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "10.1.2.3", "MASTER_PORT": "1234",
            "FLOCK_TOKEN": strongToken,
            "FLOCK_STORE": "launcher",
        ])
        #expect(torchrun.rank == 1 && torchrun.masterPort == 1234 && !torchrun.rankZeroHostsStore)
    }

    @Test("Slurm: rank, task count and the first host of the node list")
    func slurm() throws {
        let job = try DistributedEnvironment.detect([
            "SLURM_PROCID": "5", "SLURM_NTASKS": "8", "SLURM_NODELIST": "gpu[07-09,12],cpu1",
            "FLOCK_TOKEN": strongToken,
        ])
        #expect(job.rank == 5 && job.worldSize == 8 && job.masterAddress == "gpu07")
        #expect(DistributedEnvironment.firstSlurmHost("node1,node2") == "node1")
        #expect(DistributedEnvironment.firstSlurmHost("a[3]") == "a3")
    }

    @Test("Open MPI: rank and size, address from MASTER_ADDR")
    func openMPI() throws {
        let job = try DistributedEnvironment.detect([
            "OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "6", "MASTER_ADDR": "n0", "FLOCK_TOKEN": strongToken,
        ])
        #expect(job.rank == 3 && job.worldSize == 6 && job.masterAddress == "n0")
    }

    @Test("missing or malformed variables name the problem")
    func errors() throws {
        func reason(_ environment: [String: String]) -> String {
            do {
                _ = try DistributedEnvironment.detect(environment)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(reason([:]).contains("no rank and world size"))
        #expect(reason(["RANK": "x", "WORLD_SIZE": "2"]).contains("RANK=\"x\" is not an integer"))
        #expect(
            reason(["RANK": "2", "WORLD_SIZE": "2", "MASTER_ADDR": "h", "FLOCK_TOKEN": strongToken]).contains(
                "not in 0..<2"))
        #expect(reason(["RANK": "0", "WORLD_SIZE": "2", "FLOCK_TOKEN": strongToken]).contains("MASTER_ADDR"))
        #expect(reason(["RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "h"]).contains("FLOCK_TOKEN"))
    }
}

@Suite("Job tokens")
struct JobTokenTests {
    @Test("a generated token is 64 hex digits and strong; weak ones are refused off loopback only")
    func strength() throws {
        let token = JobToken.generate()
        #expect(token.count == 64 && token.allSatisfy(\.isHexDigit) && token != JobToken.generate())
        try JobToken.checkStrength(token, host: "10.0.0.5")
        for weak in ["secret", "aaaaaaaaaaaaaaaaaaaaaa", "abcabcabcabcabcabc"] {
            try JobToken.checkStrength(weak, host: "127.0.0.1")
            #expect {
                try JobToken.checkStrength(weak, host: "node-7.cluster")
            } throws: { error in
                "\(error)".contains("too weak") && "\(error)".contains("flock token")
            }
        }
    }

    @Test("a rank of a job on another machine with a short FLOCK_TOKEN fails before it connects")
    func weakTokenInEnvironment() {
        let environment = [
            "RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "10.1.2.3", "MASTER_PORT": "29500", "FLOCK_TOKEN": "hunter2",
        ]
        #expect {
            try DistributedEnvironment.detect(environment)
        } throws: { error in
            "\(error)".contains("FLOCK_TOKEN is too weak")
        }
    }
}
