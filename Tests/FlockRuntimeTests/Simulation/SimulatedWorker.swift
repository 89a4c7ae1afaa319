@testable import FlockRuntime

/// A worker of the head simulation, as `WorkerConnectionHandler` behaves: it holds a
/// forwarded task until the inputs it awaits are made here (or sends it back as `notHeld`),
/// runs ready tasks, hands back unstarted ones that no held task awaits when asked to, and
/// reports outcomes through an outbox that reaches the head only when flushed.
struct SimulatedWorker {
    /// A task the worker was handed, with the inputs it still awaits here.
    struct Run {
        let assignment: TaskAssignment
        var awaiting: Set<UInt64>
        var cancelRequested = false
    }

    let node: Int
    var runs: [UInt64: Run] = [:]
    var outbox: [(id: UInt64, outcome: TaskOutcome)] = []
    /// Closed by the head (its node died): runs nothing more, may still flush once.
    var closed = false

    /// The tasks the head should think this worker has: handed and not yet reported.
    var owned: Set<UInt64> { Set(runs.keys).union(outbox.map(\.id)) }

    /// The ids of tasks ready to run (awaiting nothing), in order.
    var ready: [UInt64] { runs.filter { $0.value.awaiting.isEmpty }.map(\.key).sorted() }

    /// Takes an assignment: held when every input it awaits is handed to this worker, else
    /// sent back at once.
    mutating func take(_ assignment: TaskAssignment) {
        let awaiting = Set(assignment.awaiting)
        guard awaiting.allSatisfy({ runs[$0] != nil }) else { return outbox.append((assignment.id, .notHeld)) }
        runs[assignment.id] = Run(assignment: assignment, awaiting: awaiting)
    }

    /// Asked to stop `ids`: a held task stops at once, a running one when it next runs.
    mutating func cancel(_ ids: [UInt64]) {
        for id in ids {
            guard let run = runs[id] else { continue }
            if run.awaiting.isEmpty {
                runs[id]!.cancelRequested = true
            } else {
                end(id, .cancelled)
            }
        }
    }

    /// Asked to hand back `ids`: those not started (`started` decides) and not awaited by a
    /// held task go back as `returned`.
    mutating func giveBack(_ ids: [UInt64], started: (UInt64) -> Bool) {
        let awaited = Set(runs.values.flatMap(\.awaiting))
        for id in ids where runs[id]?.awaiting.isEmpty == true && !awaited.contains(id) && !started(id) {
            end(id, .returned)
        }
    }

    /// Task `id` ended with `outcome`: reported, and the held tasks awaiting it start (when
    /// it made its object) or end too (as the worker's `HeldTasks` decides).
    mutating func end(_ id: UInt64, _ outcome: TaskOutcome) {
        guard runs.removeValue(forKey: id) != nil else { return }
        outbox.append((id, outcome))
        for (other, run) in runs where run.awaiting.contains(id) {
            if case .value = outcome {
                runs[other]?.awaiting.remove(id)
            } else {
                end(other, outcome.placesAgain ? .notHeld : .inputFailed)
            }
        }
    }

    /// Takes the outbox, to deliver.
    mutating func flush() -> [(id: UInt64, outcome: TaskOutcome)] {
        defer { outbox.removeAll() }
        return outbox
    }
}
