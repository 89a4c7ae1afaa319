// The program FlockRuntimeTests run: a driver that starts a local cluster of two workers
// (this same binary again) and checks a SCENARIO; prints "ok" and exits 0 when it holds,
// prints what failed and exits 1 otherwise.
import Distributed
import FlockExamples
import FlockRuntime
import Foundation

let tasks = try TaskRegistry(
    [
        Square.self, Fails.self, Slow.self, SumSlice.self, Total.self, Increment.self, Ramp.self, CheckRamp.self,
        After.self, Crashes.self, Bump.self, WhichNode.self, NodeRamp.self, Doubled.self, SumWhere.self,
        Hog.self, SpillCount.self,
    ], actors: [Counter.self])
let scenario = CommandLine.arguments.dropFirst().first ?? "squares"
if scenario == "example" {
    // The README's tasks-and-actors example, as a newcomer runs it.
    try await Cluster.serveIfWorker(TasksAndActors.registry)
    let lines = try await TasksAndActors.run()
    check(
        lines == ["sum of squares 1...100: 338350", "counter after adding 1, 2, 3: 6"], "the example printed \(lines)")
    print("ok")
    exit(0)
}
try await Cluster.serveIfWorker(tasks)
// Where tasks note that they began (`noteStarted`); the workers inherit the variable.
let startedFolder = FileManager.default.temporaryDirectory.appendingPathComponent("flock-started-\(UUID())").path
try FileManager.default.createDirectory(atPath: startedFolder, withIntermediateDirectories: true)
setenv("FLOCK_TEST_STARTED", startedFolder, 1)
defer { try? FileManager.default.removeItem(atPath: startedFolder) }
let storeLimit = 8 << 20
let cluster =
    ["remote", "nodes", "detach", "attach", "late", "daemon-dies"].contains(scenario)
    ? try await Cluster.connect(workers: scenario == "remote" ? 2 : 1)
    : try await Cluster.local(
        workers: 2, tasks: tasks,
        resources: scenario == "resources"
            ? [Resources(cpus: 1), Resources(cpus: 1, custom: ["gpu": 1])]
            : scenario == "steal" ? [Resources(cpus: 1, custom: ["hog": 64]), Resources(cpus: 1)] : [],
        objectStoreBytes: scenario == "spill" ? storeLimit : nil,
        heartbeatTimeout: ["hang", "fault-drill"].contains(scenario) ? .seconds(2) : .seconds(5))
switch scenario {
case "squares":
    let refs = try (0..<2000).map { try cluster.submit(Square(x: $0)) }
    let squares = try await cluster.get(refs)
    check(squares == (0..<2000).map { $0 * $0 }, "squares came back wrong")
    let ran = Set(try await cluster.get(try (0..<8).map { _ in try cluster.submit(Slow(milliseconds: 50)) }))
    let pids = try await cluster.statistics().workerProcessIDs
    check(ran.isSubset(of: Set(pids)) && ran.count == 2, "tasks ran in \(ran), not both workers")
case "failure":
    do {
        _ = try await cluster.get(try cluster.submit(Fails()))
        check(false, "a failing task returned a value")
    } catch {
        check("\(error)" == "the task failed: refused on purpose", "error was \(error)")
    }
    // A task type the workers do not know (another build): a clear error, not a hang.
    do {
        _ = try await cluster.submit(Unregistered()).get()
        check(false, "an unregistered task returned a value")
    } catch {
        expectError(error, "unknown task \"Unregistered\"")
    }
    check(try await cluster.get(try cluster.submit(Square(x: 3))) == 9, "the cluster works after a failure")
case "kill":
    // Kill a worker while it runs tasks: they run again on the other one.
    let refs = try (0..<6).map { _ in try cluster.submit(Slow(milliseconds: 400, tag: "kill")) }
    try await waitForStarted("kill", count: 2)
    let victim = try await cluster.statistics().workerProcessIDs[0]
    kill(victim, SIGKILL)
    let ran = try await cluster.get(refs)
    check(!ran.contains(victim), "results came from the killed worker: \(ran)")
    // The killed worker is replaced; a task that crashes its worker every time fails after
    // its attempts, and the cluster carries on at full strength.
    do {
        _ = try await cluster.submit(Crashes(), maxAttempts: 2).get()
        check(false, "a crashing task returned")
    } catch {
        expectError(error, "was lost with its worker 2 times")
    }
    let deadline = ContinuousClock.now + .seconds(20)
    var statistics = try await cluster.statistics()
    while statistics.workers < 2 && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(20))
        statistics = try await cluster.statistics()
    }
    check(statistics.workers == 2 && statistics.workerRestarts == 3, "\(statistics)")
    let pids = Set(try await cluster.get(try (0..<8).map { _ in try cluster.submit(Slow(milliseconds: 50)) }))
    check(pids.count == 2 && !pids.contains(victim), "after the restarts tasks ran in \(pids)")
    // A chain held on a worker (its links wait there for the one before) survives the
    // death of every worker: the links wait again and run on the replacements.
    var tail = try cluster.submit(Slow(milliseconds: 400, tag: "chain"))
    for _ in 0..<3 { tail = try cluster.submit(After(input: tail)) }
    try await waitForStarted("chain", count: 1)
    let before = try await cluster.statistics().workerProcessIDs
    for pid in before { kill(pid, SIGKILL) }
    let ranIn = try await tail.get()
    check(!before.contains(ranIn), "the chain's value came from a killed worker: \(ranIn) in \(before)")
case "graph":
    // Fan-out over slices of one stored array, fan-in of the partial sums, and a chain.
    let values = (0..<1_000_000).map { Float($0 % 1000) }
    let data = try cluster.put(values)
    let parts = try (0..<10).map {
        try cluster.submit(SumSlice(data: data, range: ($0 * 100_000)..<(($0 + 1) * 100_000)))
    }
    let total = try await cluster.get(try cluster.submit(Total(parts: parts)))
    check(total == values.reduce(0) { $0 + Double($1) }, "fan-in total \(total)")
    var link = try cluster.submit(Square(x: 0))
    for _ in 0..<200 { link = try cluster.submit(Increment(previous: link)) }
    check(try await link.get() == 200, "the chain ended at the wrong value")
    // A failed input fails its dependents, and theirs, without running them.
    let downstream = try cluster.submit(
        Increment(previous: try cluster.submit(Increment(previous: try cluster.submit(Fails())))))
    do {
        _ = try await downstream.get()
        check(false, "a task with a failed input returned a value")
    } catch {
        expectError(error, "did not run because its input object")
        expectError(error, "refused on purpose")
    }
case "objects":
    // A large result made in a worker is read in place by the driver and by another task;
    // dropping the refs frees the store.
    var ramp: ObjectRef<[Float]>? = try cluster.submit(Ramp(count: 3_000_000, start: 5))
    let first = try await ramp!.withUnsafeElements { Array($0.prefix(3)) }
    check(first == [5, 6, 7], "the ramp starts \(first)")
    check(try await cluster.get(try cluster.submit(CheckRamp(data: ramp!, start: 5))), "the worker read another ramp")
    let holding = try await cluster.statistics()
    check(holding.storeMemoryBytes >= 12_000_000, "the ramp is not in the store: \(holding)")
    ramp = nil
    let statistics = try await cluster.statistics()
    check(statistics.objects == 0 && statistics.storeMemoryBytes == 0, "dropping the refs left \(statistics)")
case "spill":
    // Twice the memory limit in 1 MiB objects, half put by the driver and half made by
    // workers: some spill to disk, and all read back intact in the driver and in workers.
    let count = 2 * storeLimit / (1 << 20)
    let length = 1 << 18
    var refs: [ObjectRef<[Float]>] = []
    for index in 0..<count / 2 { refs.append(try cluster.put((0..<length).map { Float(index) + Float($0) })) }
    for index in count / 2..<count { refs.append(try cluster.submit(Ramp(count: length, start: Float(index)))) }
    _ = try await cluster.wait(for: refs, count: count)
    let statistics = try await cluster.statistics()
    check(
        statistics.spilledObjects > 0 && statistics.storeMemoryBytes <= storeLimit,
        "nothing spilled or memory above the limit: \(statistics)")
    for (index, ref) in refs.enumerated() {
        let intact = try await ref.withUnsafeElements { elements in
            elements.count == length && elements.indices.allSatisfy { elements[$0] == Float(index) + Float($0) }
        }
        check(intact, "object \(index) came back changed")
    }
    let checks = try refs.enumerated().map { try cluster.submit(CheckRamp(data: $1, start: Float($0))) }
    check(try await cluster.get(checks).allSatisfy { $0 }, "a worker read a changed object")
case "cancel":
    // Cancelling a running task fails it and its dependents at once.
    let long = try cluster.submit(Slow(milliseconds: 20_000, tag: "long"))
    let dependent = try cluster.submit(After(input: long))
    try await waitForStarted("long", count: 1)
    let start = ContinuousClock.now
    cluster.cancel(long)
    do {
        _ = try await long.get()
        check(false, "a cancelled task returned")
    } catch {
        expectError(error, "was cancelled")
    }
    do {
        _ = try await dependent.get()
        check(false, "the dependent of a cancelled task returned")
    } catch {
        expectError(error, "did not run because its input object")
    }
    check(ContinuousClock.now - start < .seconds(3), "cancellation took \(ContinuousClock.now - start)")
    // A task's timeout, and a get's.
    do {
        _ = try await cluster.submit(Slow(milliseconds: 20_000), timeout: .milliseconds(300)).get()
        check(false, "a task past its timeout returned")
    } catch {
        expectError(error, "did not finish within")
    }
    do {
        _ = try await cluster.get(try cluster.submit(Slow(milliseconds: 3_000)), timeout: .milliseconds(100))
        check(false, "a get past its timeout returned")
    } catch {
        expectError(error, "was not ready within")
    }
    // The first 2 of 4.
    let mixed = try [2_500, 30, 2_000, 60].map { try cluster.submit(Slow(milliseconds: $0)) }
    let (ready, pending) = try await cluster.wait(for: mixed, count: 2, timeout: .seconds(20))
    check(Set(ready) == [mixed[1], mixed[3]] && pending == [mixed[0], mixed[2]], "wait returned \(ready.map(\.id))")
    check(try await cluster.wait(for: [mixed[0]], count: 1, timeout: .milliseconds(10)).ready.isEmpty, "not ready yet")
case "hang":
    // A worker that stops (SIGSTOP) sends no heartbeat: the head drops it within the
    // timeout, its tasks run on the other worker, and it is killed and replaced.
    let refs = try (0..<4).map { _ in try cluster.submit(Slow(milliseconds: 1_500, tag: "hang")) }
    try await waitForStarted("hang", count: 2)
    let frozen = try await cluster.statistics().workerProcessIDs[0]
    kill(frozen, SIGSTOP)
    let start = ContinuousClock.now
    let ran = try await cluster.get(refs)
    check(!ran.contains(frozen), "results came from the frozen worker: \(ran)")
    check(ContinuousClock.now - start < .seconds(10), "the hung worker took \(ContinuousClock.now - start) to notice")
    let deadline = ContinuousClock.now + .seconds(20)
    var statistics = try await cluster.statistics()
    while statistics.workers < 2 && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(20))
        statistics = try await cluster.statistics()
    }
    check(!statistics.workerProcessIDs.contains(frozen) && statistics.workers == 2, "\(statistics)")
    check(kill(frozen, 0) != 0, "the frozen worker was not killed")
case "resources":
    // Tasks that need the one "gpu" run on its worker, one at a time; tasks that need a
    // whole CPU run one per worker; tasks that need nothing run side by side.
    let gpuWorker = try await cluster.statistics().workerProcessIDs[1]
    var start = ContinuousClock.now
    let onGPU = try await cluster.get(
        try (0..<4).map { _ in try cluster.submit(Slow(milliseconds: 150), resources: Resources(custom: ["gpu": 1])) })
    check(onGPU.allSatisfy { $0 == gpuWorker }, "gpu tasks ran in \(onGPU), not \(gpuWorker)")
    check(ContinuousClock.now - start >= .milliseconds(600), "gpu tasks overlapped: \(ContinuousClock.now - start)")
    start = ContinuousClock.now
    let onCPU = try await cluster.get(
        try (0..<4).map { _ in try cluster.submit(Slow(milliseconds: 300), resources: Resources(cpus: 1)) })
    check(Set(onCPU).count == 2, "CPU tasks ran in \(Set(onCPU))")
    check(ContinuousClock.now - start >= .milliseconds(600), "more than one CPU task per worker at once")
    start = ContinuousClock.now
    _ = try await cluster.get(try (0..<8).map { _ in try cluster.submit(Slow(milliseconds: 300)) })
    check(ContinuousClock.now - start < .milliseconds(2_400), "tasks without demands ran one by one")
    do {
        _ = try cluster.submit(Square(x: 1), resources: Resources(custom: ["tpu": 1]))
        check(false, "a task no worker can run was accepted")
    } catch {
        expectError(error, "needs 1.0 tpu, which no worker offers")
    }
case "daemon-dies":
    // The daemon is killed (by the test, once the marker exists) while this driver waits
    // for a long task: the wait must fail soon, saying the cluster is gone.
    let slow = try cluster.submit(Slow(milliseconds: 60_000))
    let workers = try await cluster.statistics().workerProcessIDs
    print("workers \(workers.map(String.init).joined(separator: ","))")
    if let marker = ProcessInfo.processInfo.environment["FLOCK_TEST_READY"] {
        _ = FileManager.default.createFile(atPath: marker, contents: Data())
    }
    let started = ContinuousClock.now
    do {
        _ = try await slow.get()
        check(false, "a task on a killed daemon returned")
    } catch {
        print("the wait failed after \((ContinuousClock.now - started).components.seconds) s: \(error)")
    }
case "remote":
    // A job on a `flock start` daemon: tasks, a graph over a put array, a failure, an
    // actor and the job's statistics, all through the daemon.
    let squares = try await cluster.get(try (0..<500).map { try cluster.submit(Square(x: $0)) })
    check(squares == (0..<500).map { $0 * $0 }, "squares came back wrong")
    let values = (0..<200_000).map { Float($0 % 100) }
    let data = try cluster.put(values)
    let parts = try (0..<4).map { try cluster.submit(SumSlice(data: data, range: ($0 * 50_000)..<(($0 + 1) * 50_000))) }
    let total = try await cluster.submit(Total(parts: parts)).get()
    check(total == values.reduce(0) { $0 + Double($1) }, "the remote fan-in total is \(total)")
    do {
        _ = try await cluster.submit(Increment(previous: try cluster.submit(Fails()))).get()
        check(false, "a task with a failed input returned")
    } catch {
        expectError(error, "refused on purpose")
    }
    do {
        _ = try await cluster.submit(Square(x: 1), resources: Resources(custom: ["tpu": 1])).get()
        check(false, "an impossible task returned")
    } catch {
        expectError(error, "which no worker offers")
    }
    let counter = try await cluster.spawn(Counter.self, named: "remote-hits")
    _ = try await counter.add(2)
    let found = try await cluster.actor(named: "remote-hits", as: Counter.self)
    let value = try await found.add(3)
    check(value == 5, "the remote actor counted \(value)")
    let statistics = try await cluster.statistics()
    check(statistics.workers == 2 && statistics.workerProcessIDs.count == 2, "remote statistics: \(statistics)")
    // What `flock status` sees meanwhile: this job.
    guard let file = try ClusterFile.read() else { fatalError("no cluster file") }
    let status = try await ClusterDaemon.status(address: file.address, token: file.token)
    check(status.jobs.count == 1 && status.jobs[0].statistics.workers == 2, "the daemon's status: \(status)")
case "nodes":
    // A job on a daemon with one worker on its machine (node 0) and one on a node that
    // joined (node 1, its agent's pid in FLOCK_TEST_AGENT_PID): both run tasks, objects
    // move between their stores, and killing the node costs retries and rebuilds.
    let statistics = try await cluster.statistics()
    check(statistics.workers == 2, "the job has \(statistics.workers) workers, not one per node")
    let ran = Set(try await cluster.get(try (0..<8).map { _ in try cluster.submit(WhichNode(milliseconds: 100)) }))
    check(ran == [0, 1], "tasks ran on nodes \(ran)")
    // A driver's put (node 0) read by tasks on both nodes: node 1 pulls it.
    let values = (0..<500_000).map { Float($0 % 7) }
    let data = try cluster.put(values)
    let sums = try await cluster.get(try (0..<16).map { _ in try cluster.submit(SumWhere(data: data)) })
    check(sums.allSatisfy { $0[0] == values.reduce(0) { $0 + Double($1) } }, "sums of the put array: \(sums)")
    check(Set(sums.map { $0[1] }) == [0, 1], "the put array was summed on nodes \(Set(sums.map { $0[1] }))")
    // Objects made on both nodes, read by the driver (node 1's pulled to node 0).
    let count = 300_000
    let ramp = [Float](unsafeUninitializedCapacity: count) { buffer, made in
        for index in 0..<count { buffer[index] = Float(index) }
        made = count
    }
    var ramps: [ObjectRef<[Float]>]? = try (0..<8).map { _ in try cluster.submit(NodeRamp(count: count)) }
    let made = try await cluster.get(ramps!)
    check(made.allSatisfy { Array($0.dropFirst()) == Array(ramp.dropFirst()) }, "a ramp came back wrong")
    let makers = made.map { $0[0] }
    check(Set(makers) == [0, 1], "ramps were made on nodes \(Set(makers))")
    // Locality: a task whose big input lives on one node runs there (one at a time, so
    // that neither worker is busier).
    for index in makers.indices {
        let ranOn = try await cluster.submit(SumWhere(data: ramps![index])).get()[1]
        check(ranOn == Double(makers[index]), "a task on ramp \(index) of node \(makers[index]) ran on \(ranOn)")
    }
    // Doubled ramps whose inputs are then freed: those on node 1 cannot be rebuilt.
    let doubled = try ramps!.map { try cluster.submit(Doubled(ramp: $0)) }
    let doubledMakers = try await cluster.get(doubled).map { $0[0] }
    // Long tasks running on both nodes when node 1 dies.
    let long = try (0..<4).map { _ in try cluster.submit(WhichNode(milliseconds: 1500)) }
    let kept = try (0..<8).map { _ in try cluster.submit(NodeRamp(count: count)) }
    let keptMakers = try await cluster.get(kept).map { $0[0] }
    // The daemon keeps 4 MiB per node in memory: node 1's own store spilled some of its
    // ramps, which were read back intact above.
    let spills = try await cluster.get(try (0..<8).map { _ in try cluster.submit(SpillCount()) })
    check(spills.contains { $0[0] == 1 && $0[1] > 0 }, "node 1 spilled nothing: \(spills)")
    ramps = nil
    try await Task.sleep(for: .milliseconds(300))
    guard let agent = ProcessInfo.processInfo.environment["FLOCK_TEST_AGENT_PID"].flatMap(Int32.init) else {
        fatalError("FLOCK_TEST_AGENT_PID is not set")
    }
    kill(agent, SIGKILL)
    let finished = try await cluster.get(long)
    // Those that ran on node 1 ran again on node 0.
    check(finished == [0, 0, 0, 0], "the long tasks ran to the end on nodes \(finished)")
    // Node 1's ramps are made again on node 0 (lineage); node 1's doubled ramps are lost.
    let rebuilt = try await cluster.get(kept)
    for (index, maker) in keptMakers.enumerated() {
        check(Array(rebuilt[index].dropFirst()) == Array(ramp.dropFirst()), "a rebuilt ramp is wrong")
        check(maker == 0 || rebuilt[index][0] == 0, "ramp \(index) of node 1 was not made again on node 0")
    }
    check(keptMakers.contains(1), "no kept ramp was made on node 1: \(keptMakers)")
    for (index, maker) in doubledMakers.enumerated() where maker == 1 {
        do {
            _ = try await doubled[index].get()
            check(false, "a doubled ramp of the dead node whose input is freed came back")
        } catch {
            expectError(error, "died holding it")
        }
    }
    let after = try await cluster.get(try (0..<4).map { _ in try cluster.submit(WhichNode(milliseconds: 1)) })
    check(after == [0, 0, 0, 0], "after the node died tasks ran on \(after)")
case "steal":
    // Worker 0's threads are all held by hogs (tasks only it can run); of a burst of quick
    // tasks, the ones it was handed cannot start there, so the idle worker 1 takes them
    // back (work stealing) and every quick task runs on worker 1.
    let hogged = try await cluster.statistics().workerProcessIDs[0]
    // At least one hog per thread of worker 0's task pool (as wide as the CPUs it sees).
    let threads = max(ProcessInfo.processInfo.activeProcessorCount, ProcessInfo.processInfo.processorCount)
    let hogs = try (0..<threads).map { _ in
        try cluster.submit(Hog(milliseconds: 3000), resources: Resources(custom: ["hog": 1]))
    }
    // Every thread of worker 0's pool (as wide as the CPUs it may use) holds a hog.
    try await waitForStarted("hog", count: ProcessInfo.processInfo.activeProcessorCount)
    let quick = try await cluster.get(try (0..<40).map { _ in try cluster.submit(Slow(milliseconds: 1)) })
    check(!quick.contains(hogged), "quick tasks waited behind the hogs on worker 0: \(quick)")
    let hogPIDs = try await cluster.get(hogs)
    check(Set(hogPIDs) == [hogged], "the hogs ran on \(Set(hogPIDs)), not only on worker 0")
case "late":
    // A node that joins while this job runs (FLOCK_TEST_FLOCK: the flock binary to start
    // it with) gets workers for it, and the driver can read what they make.
    check(try await cluster.statistics().workers == 1, "the job did not start with one worker")
    guard let flock = ProcessInfo.processInfo.environment["FLOCK_TEST_FLOCK"],
        let file = try ClusterFile.read()
    else { fatalError("FLOCK_TEST_FLOCK or the cluster file is missing") }
    let join = Process()
    join.executableURL = URL(fileURLWithPath: flock)
    join.arguments = ["start", "--address", file.address, "--workers", "1"]
    try join.run()
    join.waitUntilExit()
    check(join.terminationStatus == 0, "flock start --address failed")
    let deadline = Date().addingTimeInterval(20)
    while try await cluster.statistics().workers < 2 && Date() < deadline {
        try await Task.sleep(for: .milliseconds(50))
    }
    check(try await cluster.statistics().workers == 2, "the late node's worker did not join the job")
    var madeOn: Set<Float> = []
    for _ in 0..<20 where madeOn.count < 2 {
        let ramps = try (0..<4).map { _ in try cluster.submit(NodeRamp(count: 300_000)) }
        for ramp in try await cluster.get(ramps) {
            check(ramp.dropFirst().enumerated().allSatisfy { Float($0.offset + 1) == $0.element }, "a bad ramp")
            madeOn.insert(ramp[0])
        }
    }
    check(madeOn.count == 2 && madeOn.contains(0), "ramps were made on nodes \(madeOn)")
case "detach":
    // A detached actor outlives this driver: the next program ("attach") finds it.
    let shared = try await cluster.spawn(Counter.self, named: "shared-counter", detached: true)
    check(try await shared.add(5) == 5, "the detached actor does not count")
    do {
        _ = try await cluster.spawn(Counter.self, named: "shared-counter", detached: true)
        check(false, "a detached actor's name was given twice")
    } catch {
        expectError(error, "is taken by a detached actor")
    }
case "attach":
    // Another program's detached actor: its state survived that program; calls come from
    // this driver and from a task in this job's workers.
    let shared = try await cluster.actor(named: "shared-counter", as: Counter.self)
    check(try await shared.add(1) == 6, "the detached actor lost its state")
    check(try await cluster.submit(Bump(counter: shared)).get() == 16, "a task's call on a detached actor")
    // Killed, it serves no more calls and its name is free; its job (driverless) ends, so
    // the cluster no longer knows the id at all.
    try await cluster.kill(shared)
    do {
        _ = try await shared.add(1)
        check(false, "a killed actor answered")
    } catch {
        expectError(error, "no actor \(shared.id.value) in this cluster")
    }
    do {
        _ = try await cluster.actor(named: "shared-counter", as: Counter.self)
        check(false, "a killed actor's name still resolves")
    } catch {
        expectError(error, "no actor is named")
    }
case "actors":
    let counter = try await cluster.spawn(Counter.self, named: "hits")
    let one = try await counter.add(1)
    let three = try await counter.add(2)
    check(one == 1 && three == 3, "sequential calls gave \(one), \(three)")
    // 200 calls in flight at once; the mailbox runs them one at a time.
    let seen = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<200 { group.addTask { try await counter.add(1) } }
        var seen: [Int] = []
        for try await value in group { seen.append(value) }
        return seen
    }
    check(seen.sorted() == Array(4...203), "pipelined calls saw \(seen.sorted().prefix(5))...")
    let found = try await cluster.actor(named: "hits", as: Counter.self)
    check(try await found.add(0) == 203, "the named actor is another one")
    check(try await cluster.submit(Bump(counter: counter)).get() == 213, "a task's call on a handed actor")
    do {
        try await counter.refuse()
        check(false, "a throwing actor method returned")
    } catch {
        expectError(error, "refused on purpose")
    }
    do {
        _ = try await cluster.actor(named: "nobody", as: Counter.self)
        check(false, "an unknown name resolved")
    } catch {
        expectError(error, "no actor is named \"nobody\"")
    }
    let doomed = try await cluster.spawn(Counter.self, named: "doomed")
    _ = try await doomed.add(1)
    try await cluster.kill(doomed)
    do {
        _ = try await doomed.add(1)
        check(false, "a killed actor answered")
    } catch {
        expectError(error, "it was killed")
    }
    check(try await counter.add(0) == 213, "killing one actor disturbed another")
    // A call that outlives its caller's timeout fails in time; the next call is served.
    let sleepy = try await cluster.spawn(Counter.self, named: "sleepy")
    let napStarted = ContinuousClock.now
    do {
        _ = try await FlockActorSystem.withCallTimeout(.milliseconds(300)) { try await sleepy.nap(milliseconds: 3000) }
        check(false, "a call past its timeout returned")
    } catch {
        expectError(error, "got no reply in time")
    }
    check(ContinuousClock.now - napStarted < .seconds(2), "the timed-out call took \(ContinuousClock.now - napStarted)")
    check(try await sleepy.nap(milliseconds: 1) == 1, "the actor did not serve the call after a timed-out one")
    do {
        _ = try await cluster.spawn(Counter.self, named: "forever", detached: true)
        check(false, "a local cluster made a detached actor")
    } catch {
        expectError(error, "needs a long-running cluster")
    }
    do {
        _ = try await cluster.spawn(Counter.self, named: "hits")
        check(false, "a taken name was given twice")
    } catch {
        expectError(error, "is taken")
    }
case "actor-restart":
    // Kill the actor's worker: the actor is made again elsewhere (fresh state) and serves calls.
    let counter = try await cluster.spawn(Counter.self, maxRestarts: 1)
    check(try await counter.add(7) == 7, "first call")
    let first = try await counter.processID()
    kill(first, SIGKILL)
    let deadline = ContinuousClock.now + .seconds(20)
    var restarted: Int32?
    while restarted == nil && ContinuousClock.now < deadline {
        restarted = try? await counter.processID()
        if restarted == first { restarted = nil }  // the kill has not landed yet
    }
    check(restarted != nil && restarted != first, "the actor did not come back: \(String(describing: restarted))")
    check(try await counter.add(5) == 5, "the restarted actor kept old state")
    kill(restarted!, SIGKILL)
    // Calls in flight when the worker dies fail as such; after that the actor is gone.
    var last: Error?
    while !"\(String(describing: last))".contains("is gone") && ContinuousClock.now < deadline {
        do { _ = try await counter.add(1) } catch { last = error }
    }
    expectError(last ?? RuntimeError.unknownActor("-"), "is gone")
case "fault-drill":
    try await faultDrill(cluster, seed: UInt64(ProcessInfo.processInfo.environment["FAULT_SEED"] ?? "") ?? 1)
default:
    check(false, "unknown scenario \(scenario)")
}
await cluster.shutdown()
print("ok")
