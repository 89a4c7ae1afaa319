// The tasks and the actor that the runtime test scenarios (main.swift) run.
import Distributed
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

/// Notes in the scenario's `FLOCK_TEST_STARTED` folder (when set) that a task of `kind`
/// began, so the driver waits for that instead of sleeping (`waitForStarted`).
func noteStarted(_ kind: String) {
    guard let folder = ProcessInfo.processInfo.environment["FLOCK_TEST_STARTED"] else { return }
    _ = FileManager.default.createFile(atPath: "\(folder)/\(kind)-\(UUID().uuidString)", contents: nil)
}

/// Sleeps, then says which process ran it; notes its start under `tag`.
struct Slow: RemoteTask {
    let milliseconds: Int
    var tag = "slow"
    func run() async throws -> Int32 {
        noteStarted(tag)
        try await Task.sleep(for: .milliseconds(milliseconds))
        return getpid()
    }
}

/// Sums part of an array held in the object store, read in place.
struct SumSlice: RemoteTask {
    let data: ObjectRef<[Float]>
    let range: Range<Int>
    func run() async throws -> Double {
        try await data.withUnsafeElements { elements in elements[range].reduce(0) { $0 + Double($1) } }
    }
}

/// Fan-in: adds up other tasks' results.
struct Total: RemoteTask {
    let parts: [ObjectRef<Double>]
    func run() async throws -> Double {
        var total = 0.0
        for part in parts { total += try await part.get() }
        return total
    }
}

/// One link of a chain.
struct Increment: RemoteTask {
    let previous: ObjectRef<Int>
    func run() async throws -> Int { try await previous.get() + 1 }
}

/// Returns a large array (stored in shared memory by the worker).
struct Ramp: RemoteTask {
    let count: Int
    let start: Float
    func run() async throws -> [Float] { (0..<count).map { start + Float($0) } }
}

/// Checks that an array read in the worker is the ramp it should be.
struct CheckRamp: RemoteTask {
    let data: ObjectRef<[Float]>
    let start: Float
    func run() async throws -> Bool {
        try await data.withUnsafeElements { elements in
            elements.indices.allSatisfy { elements[$0] == start + Float($0) }
        }
    }
}

/// Waits for another task's result.
struct After: RemoteTask {
    let input: ObjectRef<Int32>
    func run() async throws -> Int32 { try await input.get() }
}

/// The node this process belongs to (0: the head's machine).
let thisNode = Float(ProcessInfo.processInfo.environment["FLOCK_RUNTIME_NODE"] ?? "0") ?? 0

/// Sleeps, then says which node ran it.
struct WhichNode: RemoteTask {
    let milliseconds: Int
    func run() async throws -> Float {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return thisNode
    }
}

/// A large array whose first element is the node that made it, then 1, 2, 3...
struct NodeRamp: RemoteTask {
    let count: Int
    func run() async throws -> [Float] { [thisNode] + (1..<count).map(Float.init) }
}

/// A ramp's elements after the first, doubled, behind the node that made this one.
struct Doubled: RemoteTask {
    let ramp: ObjectRef<[Float]>
    func run() async throws -> [Float] {
        try await ramp.withUnsafeElements { [thisNode] + $0.dropFirst().map { $0 * 2 } }
    }
}

/// Sums an array read in place; says where: [sum, node].
struct SumWhere: RemoteTask {
    let data: ObjectRef<[Float]>
    func run() async throws -> [Double] {
        try await data.withUnsafeElements { [$0.reduce(0) { $0 + Double($1) }, Double(thisNode)] }
    }
}

/// How many objects its node's store has spilled to disk: [node, files].
struct SpillCount: RemoteTask {
    func run() async throws -> [Int] {
        let folder = ProcessInfo.processInfo.environment["FLOCK_RUNTIME_SPILL"] ?? ""
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return [Int(thisNode), files.filter { !$0.hasSuffix(".partial") }.count]
    }
}

/// Blocks one of its worker's threads (not an await: the thread is held) for a while.
struct Hog: RemoteTask {
    let milliseconds: Int
    func run() async throws -> Int32 {
        noteStarted("hog")
        usleep(useconds_t(milliseconds * 1000))
        return getpid()
    }
}

/// A task type no registry here knows.
struct Unregistered: RemoteTask {
    func run() async throws -> Int { 0 }
}

/// Crashes its worker process.
struct Crashes: RemoteTask {
    func run() async throws -> Int { fatalError("crashing on purpose") }
}

/// An actor with state, an error and its process id.
distributed actor Counter: ClusterActor {
    var value = 0
    init(actorSystem: FlockActorSystem) { self.actorSystem = actorSystem }
    distributed func add(_ amount: Int) -> Int {
        value += amount
        return value
    }
    distributed func refuse() throws { throw Fails.Refused() }
    distributed func processID() -> Int32 { getpid() }
    distributed func nap(milliseconds: Int) async -> Int {
        try? await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }
}

/// A task that calls an actor it was handed.
struct Bump: RemoteTask {
    let counter: Counter
    func run() async throws -> Int { try await counter.add(10) }
}
