// The program FlockRuntimeTests run: a driver that starts a local cluster of two workers
// (this same binary again) and checks a SCENARIO; prints "ok" and exits 0 when it holds,
// prints what failed and exits 1 otherwise.
import FlockRuntime
import Foundation

struct Square: RemoteTask {
    let x: Int
    func run() async throws -> Int { x * x }
}

struct Fails: RemoteTask {
    struct Refused: Error, CustomStringConvertible { var description: String { "refused on purpose" } }
    func run() async throws -> Int { throw Refused() }
}

/// Sleeps, then says which process ran it.
struct Slow: RemoteTask {
    let milliseconds: Int
    func run() async throws -> Int32 {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return getpid()
    }
}

func check(_ condition: Bool, _ message: String) {
    if !condition {
        print("check failed: \(message)")
        exit(1)
    }
}

let tasks = try TaskRegistry([Square.self, Fails.self, Slow.self])
try await Cluster.serveIfWorker(tasks)
let scenario = CommandLine.arguments.dropFirst().first ?? "squares"
let cluster = try await Cluster.local(workers: 2, tasks: tasks)
switch scenario {
case "squares":
    let refs = try (0..<2000).map { try cluster.submit(Square(x: $0)) }
    let squares = try await cluster.get(refs)
    check(squares == (0..<2000).map { $0 * $0 }, "squares came back wrong")
    let ran = Set(try await cluster.get(try (0..<8).map { _ in try cluster.submit(Slow(milliseconds: 50)) }))
    check(ran.isSubset(of: Set(cluster.workerProcessIDs)) && ran.count == 2, "tasks ran in \(ran), not both workers")
case "failure":
    do {
        _ = try await cluster.get(try cluster.submit(Fails()))
        check(false, "a failing task returned a value")
    } catch {
        check("\(error)" == "the task failed: refused on purpose", "error was \(error)")
    }
    check(try await cluster.get(try cluster.submit(Square(x: 3))) == 9, "the cluster works after a failure")
case "kill":
    // Kill a worker while it runs tasks: they run again on the other one.
    let refs = try (0..<6).map { _ in try cluster.submit(Slow(milliseconds: 400)) }
    try await Task.sleep(for: .milliseconds(150))
    let victim = cluster.workerProcessIDs[0]
    kill(victim, SIGKILL)
    let ran = try await cluster.get(refs)
    let survivor = cluster.workerProcessIDs[1]
    check(ran == Array(repeating: survivor, count: 6), "results should all come from the survivor: \(ran)")
default:
    check(false, "unknown scenario \(scenario)")
}
await cluster.shutdown()
print("ok")
