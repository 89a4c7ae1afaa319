import Foundation
import Testing

/// A long-running cluster: `flock start --head`, a program joining it with
/// `Cluster.connect`, `flock status` (with the right and a wrong token) and `flock stop`.
@Suite("flock start / status / stop and Cluster.connect", .serialized)
struct DaemonTests {
    @Test("start a cluster, run a job on it, see it in status, refuse a wrong token, stop it")
    func lifecycle() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flock-cluster-\(UUID()).json").path
        let environment = ["FLOCK_CLUSTER_FILE": file]
        let flock = LocalClusterTests.binary("flock")
        let (started, startOutput) = try LocalClusterTests.run(
            flock, ["start", "--head", "--port", "0", "--workers", "3"], environment: environment)
        #expect(started == 0 && startOutput.contains("cluster started at"), "\(startOutput)")
        defer { _ = try? LocalClusterTests.run(flock, ["stop"], environment: environment) }

        let (idle, idleOutput) = try LocalClusterTests.run(flock, ["status"], environment: environment)
        #expect(idle == 0 && idleOutput.contains("3 workers per job") && idleOutput.contains("0 jobs"), "\(idleOutput)")

        let (job, jobOutput) = try LocalClusterTests.run(
            LocalClusterTests.binary("FlockRuntimeTestWorker"), ["remote"], environment: environment)
        #expect(job == 0 && jobOutput.contains("ok"), "\(jobOutput)")

        let (refused, refusedOutput) = try LocalClusterTests.run(
            flock, ["status"], environment: environment.merging(["FLOCK_TOKEN": "wrong"]) { $1 })
        #expect(refused != 0 && refusedOutput.contains("shared token"), "\(refusedOutput)")

        let record = try JSONDecoder().decode(ClusterRecord.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        let (stopped, stopOutput) = try LocalClusterTests.run(flock, ["stop"], environment: environment)
        #expect(stopped == 0 && stopOutput.contains("stopped"), "\(stopOutput)")
        let deadline = Date().addingTimeInterval(10)
        while isRunning(record.processID) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(!isRunning(record.processID), "the daemon is still running")
        #expect(!FileManager.default.fileExists(atPath: file))
    }
}

/// Whether process `pid` exists and is not a zombie (the daemon's parent, `flock start`,
/// has exited, so whoever adopted it may reap it late).
private func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(close, offsetBy: 2)] != "Z"
}

/// The part of the cluster file the test reads.
private struct ClusterRecord: Decodable {
    let processID: Int32
}
