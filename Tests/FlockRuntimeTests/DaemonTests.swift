import FlockTestSupport
import Foundation
import Testing

/// A long-running cluster: `flock start --head`, a program joining it with
/// `Cluster.connect`, `flock status` (with the right and a wrong token) and `flock stop`.
@Suite("flock start / status / stop and Cluster.connect", .serialized)
struct DaemonTests {
    @Test("start a cluster, run a job on it, see it in status, keep a detached actor, refuse a wrong token, stop it")
    func lifecycle() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flock-cluster-\(UUID()).json").path
        let environment = ["FLOCK_CLUSTER_FILE": file]
        let flock = TestBinary.path("flock")
        let (started, startOutput) = try TestProcess.run(
            flock, ["start", "--head", "--port", "0", "--workers", "3"], environment: environment)
        #expect(started == 0 && startOutput.contains("cluster started at"), "\(startOutput)")
        defer { _ = try? TestProcess.run(flock, ["stop"], environment: environment) }

        let (idle, idleOutput) = try TestProcess.run(flock, ["status"], environment: environment)
        #expect(idle == 0 && idleOutput.contains("3 workers per job") && idleOutput.contains("0 jobs"), "\(idleOutput)")

        let (job, jobOutput) = try TestProcess.run(
            TestBinary.path("FlockRuntimeTestWorker"), ["remote"], environment: environment)
        #expect(job == 0 && jobOutput.contains("ok"), "\(jobOutput)")

        // A detached actor outlives the program that made it; the next one calls it.
        let worker = TestBinary.path("FlockRuntimeTestWorker")
        let (detached, detachedOutput) = try TestProcess.run(worker, ["detach"], environment: environment)
        #expect(detached == 0 && detachedOutput.contains("ok"), "\(detachedOutput)")
        let (_, keptOutput) = try TestProcess.run(flock, ["status"], environment: environment)
        #expect(keptOutput.contains("driver gone, hosts 1 detached actor"), "\(keptOutput)")
        #expect(keptOutput.contains("resources in use: nothing of ") && keptOutput.contains(" CPU, "), "\(keptOutput)")
        let (attached, attachedOutput) = try TestProcess.run(worker, ["attach"], environment: environment)
        #expect(attached == 0 && attachedOutput.contains("ok"), "\(attachedOutput)")
        // "attach" killed the detached actor: the job that kept it has ended.
        let (_, endedOutput) = try TestProcess.run(flock, ["status"], environment: environment)
        #expect(endedOutput.contains("0 jobs"), "\(endedOutput)")

        let (refused, refusedOutput) = try TestProcess.run(
            flock, ["status"], environment: environment.merging(["FLOCK_TOKEN": "wrong"]) { $1 })
        #expect(refused != 0 && refusedOutput.contains("shared token"), "\(refusedOutput)")

        let record = try JSONDecoder().decode(ClusterRecord.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        let (stopped, stopOutput) = try TestProcess.run(flock, ["stop"], environment: environment)
        #expect(stopped == 0 && stopOutput.contains("stopped"), "\(stopOutput)")
        let deadline = Date().addingTimeInterval(10)
        while isRunning(record.processID) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(!isRunning(record.processID), "the daemon is still running")
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test("kill -9 of the daemon: a driver's wait fails within seconds saying so, and the job's workers exit")
    func daemonDies() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flock-cluster-\(UUID()).json").path
        let ready = file + ".ready"
        let environment = ["FLOCK_CLUSTER_FILE": file, "FLOCK_TEST_READY": ready]
        let flock = TestBinary.path("flock")
        let (started, startOutput) = try TestProcess.run(
            flock, ["start", "--head", "--port", "0", "--workers", "1"], environment: environment)
        #expect(started == 0, "\(startOutput)")
        let record = try JSONDecoder().decode(ClusterRecord.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        defer {
            kill(record.processID, SIGKILL)
            try? FileManager.default.removeItem(atPath: file)
            try? FileManager.default.removeItem(atPath: ready)
        }
        let killer = Thread {
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: ready) && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
            kill(record.processID, SIGKILL)
        }
        killer.start()
        let begin = Date()
        let (status, output) = try TestProcess.run(
            TestBinary.path("FlockRuntimeTestWorker"), ["daemon-dies"], environment: environment)
        #expect(status == 0 && output.contains("the wait failed after"), "\(output)")
        #expect(Date().timeIntervalSince(begin) < 30, "the driver took \(Date().timeIntervalSince(begin)) s")
        let workers =
            output.split(separator: "\n").first { $0.hasPrefix("workers ") }.map {
                $0.dropFirst(8).split(separator: ",").compactMap { Int32($0) }
            } ?? []
        #expect(!workers.isEmpty, "\(output)")
        let deadline = Date().addingTimeInterval(10)
        while workers.contains(where: { isRunning($0) }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!workers.contains(where: { isRunning($0) }), "workers \(workers) outlived their daemon")
    }

    @Test(
        "a node joins with flock start --address, runs a job's tasks, shares objects, is killed; a hung node is dropped"
    )
    func nodes() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flock-cluster-\(UUID()).json").path
        let environment = ["FLOCK_CLUSTER_FILE": file]
        let flock = TestBinary.path("flock")
        let (started, startOutput) = try TestProcess.run(
            flock, ["start", "--head", "--port", "0", "--workers", "1", "--object-store-mib", "4"],
            environment: environment)
        #expect(started == 0, "\(startOutput)")
        defer { _ = try? TestProcess.run(flock, ["stop"], environment: environment) }
        let address = try JSONDecoder().decode(ClusterAddress.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
            .address

        let (joinedNobody, nobodyOutput) = try TestProcess.run(
            flock, ["start", "--address", "127.0.0.1:1", "--workers", "1"], environment: environment)
        #expect(joinedNobody != 0 && nobodyOutput.contains("no daemon answers at 127.0.0.1:1"), "\(nobodyOutput)")
        #expect(!nobodyOutput.contains("crashed"), "\(nobodyOutput)")

        let (joinedWrong, wrongOutput) = try TestProcess.run(
            flock, ["start", "--address", address, "--workers", "1"],
            environment: environment.merging(["FLOCK_TOKEN": "wrong"]) { $1 })
        #expect(joinedWrong != 0 && wrongOutput.contains("shared token"), "\(wrongOutput)")

        let (joined, joinOutput) = try TestProcess.run(
            flock, ["start", "--address", address, "--workers", "1"], environment: environment)
        #expect(joined == 0 && joinOutput.contains("as node 1"), "\(joinOutput)")
        let agent = joinOutput.split(separator: "(pid ").dropFirst().first.flatMap { Int32($0.prefix { $0.isNumber }) }
        #expect(agent != nil, "no agent pid in \(joinOutput)")
        let (_, statusOutput) = try TestProcess.run(flock, ["status"], environment: environment)
        #expect(statusOutput.contains("node 1 at 127.0.0.1, 1 workers per job"), "\(statusOutput)")

        let (job, jobOutput) = try TestProcess.run(
            TestBinary.path("FlockRuntimeTestWorker"), ["nodes"],
            environment: environment.merging(["FLOCK_TEST_AGENT_PID": "\(agent ?? 0)"]) { $1 })
        #expect(job == 0 && jobOutput.contains("ok"), "\(jobOutput)")
        let (_, afterOutput) = try TestProcess.run(flock, ["status"], environment: environment)
        #expect(afterOutput.contains("1 node: the head's") && afterOutput.contains("0 jobs"), "\(afterOutput)")

        // A node that joins while a job runs serves that job too.
        let (late, lateOutput) = try TestProcess.run(
            TestBinary.path("FlockRuntimeTestWorker"), ["late"],
            environment: environment.merging(["FLOCK_TEST_FLOCK": flock]) { $1 })
        #expect(late == 0 && lateOutput.contains("ok"), "\(lateOutput)")

        // A node that hangs (stopped, or its machine gone: no connection closes) is dropped
        // when its heartbeats stop.
        let (_, hungOutput) = try TestProcess.run(
            flock, ["start", "--address", address, "--workers", "1"], environment: environment)
        let hung = hungOutput.split(separator: "(pid ").dropFirst().first.flatMap { Int32($0.prefix { $0.isNumber }) }
        #expect(hungOutput.contains("as node 3") && hung != nil, "\(hungOutput)")
        guard let hung else { return }
        defer { kill(hung, SIGKILL) }
        kill(hung, SIGSTOP)
        let deadline = Date().addingTimeInterval(20)
        var dropped = false
        while !dropped && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.5)
            let status = try TestProcess.run(flock, ["status"], environment: environment).1
            dropped = status.contains("cluster at") && !status.contains("- node 3 ")
        }
        #expect(dropped, "a stopped node is still in the cluster after 20 s")
    }
}

/// The address in the cluster file.
struct ClusterAddress: Decodable {
    let address: String
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
