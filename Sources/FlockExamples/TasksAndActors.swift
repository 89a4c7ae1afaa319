import Distributed
import FlockRuntime

/// The README's first FlockRuntime program: tasks that fan out and fan in through object
/// refs, and a named actor with state, on a local cluster of 2 worker processes.
public enum TasksAndActors {
    /// A task: a Codable value whose `run` happens in a worker.
    struct Square: RemoteTask {
        let x: Int
        func run() async throws -> Int { x * x }
    }

    /// A task that takes other tasks' results by ref: it runs once they all exist.
    struct Total: RemoteTask {
        let parts: [ObjectRef<Int>]
        func run() async throws -> Int {
            var total = 0
            for part in parts { total += try await part.get() }
            return total
        }
    }

    /// An actor: its state lives in one worker, its calls are type-checked.
    distributed actor Counter: ClusterActor {
        var total = 0
        init(actorSystem: FlockActorSystem) { self.actorSystem = actorSystem }
        distributed func add(_ amount: Int) -> Int {
            total += amount
            return total
        }
    }

    /// What the example's workers can run.
    public static var registry: TaskRegistry {
        // Invariant: distinct names.
        try! TaskRegistry([Square.self, Total.self], actors: [Counter.self])
    }

    /// Runs the example (in the driver; call `Cluster.serveIfWorker(registry)` first) and
    /// returns the lines it prints.
    public static func run() async throws -> [String] {
        let cluster = try await Cluster.local(workers: 2, tasks: registry)
        let squares = try (1...100).map { try cluster.submit(Square(x: $0)) }  // fan-out, returns at once
        let total = try await cluster.submit(Total(parts: squares)).get()  // fan-in
        let counter = try await cluster.spawn(Counter.self, named: "visits")
        for amount in [1, 2, 3] { _ = try await counter.add(amount) }
        let visits = try await cluster.actor(named: "visits", as: Counter.self).add(0)
        await cluster.shutdown()
        return ["sum of squares 1...100: \(total)", "counter after adding 1, 2, 3: \(visits)"]
    }
}
