import FlockTestSupport
import Foundation
import Testing

/// A local cluster with real worker processes (FlockRuntimeTestWorker's scenarios).
@Suite("Local cluster with worker processes", .serialized)
struct LocalClusterTests {
    /// Runs the driver with `scenario`; returns its exit status and output.
    func run(_ scenario: String) throws -> (Int32, String) {
        try TestProcess.run(TestBinary.path("FlockRuntimeTestWorker"), [scenario])
    }

    @Test("2,000 tasks fan out over both workers and come back in order")
    func tasksRun() throws {
        let (status, output) = try run("squares")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test("a task's error, and an unknown task type, reach the caller with their messages; the cluster carries on")
    func failures() throws {
        let (status, output) = try run("failure")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test(
        "kill -9 of a worker mid-task: its tasks run again elsewhere, the worker is replaced, and a task that crashes every worker fails after its attempts"
    )
    func killedWorker() throws {
        let (status, output) = try run("kill")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test("task graphs: fan-out over a stored array, fan-in, a chain of 200, and a failed input failing its dependents")
    func graphs() throws {
        let (status, output) = try run("graph")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test("a large result is read in place by the driver and by another task; dropping its refs frees the store")
    func objects() throws {
        let (status, output) = try run("objects")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test("twice the store's memory limit in objects: some spill to disk and all read back intact")
    func spill() throws {
        let (status, output) = try run("spill")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test("cancelling a running task, a task's timeout, a get's timeout, and waiting for the first 2 of 4")
    func cancellation() throws {
        let (status, output) = try run("cancel")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test("actors: type-checked calls, 200 pipelined calls in order, a name, a handle passed to a task, errors")
    func actors() throws {
        let (status, output) = try run("actors")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test(
        "kill -9 of an actor's worker: the actor is made again elsewhere and serves calls; past its restarts it is gone"
    )
    func actorRestart() throws {
        let (status, output) = try run("actor-restart")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    /// Seeds for the fault drill: two random ones per run, or `FLOCK_FAULT_SEEDS=1,2,3`.
    static let faultSeeds = Seeds.from("FLOCK_FAULT_SEEDS", count: 2)

    @Test(
        "kill -9 or SIGSTOP of a random worker at a random moment: every result right, the worker replaced",
        arguments: faultSeeds)
    func faultDrill(seed: UInt64) throws {
        let (status, output) = try TestProcess.run(
            TestBinary.path("FlockRuntimeTestWorker"), ["fault-drill"], environment: ["FAULT_SEED": "\(seed)"])
        #expect(status == 0 && output.contains("ok"), "seed \(seed): \(output)")
    }

    @Test("a stopped worker misses its heartbeats: it is dropped, its tasks run elsewhere, it is killed and replaced")
    func hungWorker() throws {
        let (status, output) = try run("hang")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test(
        "resources: tasks needing a custom resource run only where it is, one at a time; CPU demands limit concurrency; an impossible demand is refused"
    )
    func resources() throws {
        let (status, output) = try run("resources")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test("work stealing: tasks handed to a worker whose threads are all busy run on the idle one instead")
    func steal() throws {
        let (status, output) = try run("steal")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test("the README's tasks-and-actors example prints what the README says")
    func readmeExample() throws {
        let (status, output) = try run("example")
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }
}
