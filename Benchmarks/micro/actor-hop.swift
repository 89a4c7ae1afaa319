// The cost of handing one event to shared state: a Mutex-guarded call from the caller's
// thread, an actor call from a task, and an actor call from a plain thread (a NIO event
// loop), which needs a Task per event. Backs the runtime README's "Locks and actors".
//   swiftc -O Benchmarks/micro/actor-hop.swift -o /tmp/actor-hop && /tmp/actor-hop
import Foundation
import Synchronization

final class Locked: Sendable {
    let state = Mutex(0)
    func event() -> Int { state.withLock { $0 += 1; return $0 } }
}
actor Isolated {
    var state = 0
    func event() -> Int { state += 1; return state }
}
let n = 2_000_000
func seconds(_ body: () -> Void) -> Double { let t = DispatchTime.now().uptimeNanoseconds; body(); return Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
let locked = Locked()
for round in 0..<3 {
    let lockTime = seconds { var s = 0; for _ in 0..<n { s &+= locked.event() }; precondition(s != 0) }
    let isolated = Isolated()
    let start = DispatchTime.now().uptimeNanoseconds
    let done = DispatchSemaphore(value: 0)
    Task.detached { var s = 0; for _ in 0..<n { s &+= await isolated.event() }; precondition(s != 0); done.signal() }
    done.wait()
    let actorTime = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    // An actor call from a NIO event loop thread (not a task) needs a Task per event.
    let fromThread = seconds {
        let group = DispatchGroup()
        for _ in 0..<(n / 10) { group.enter(); Task { _ = await isolated.event(); group.leave() } }
        group.wait()
    }
    print(String(format: "round %d: mutex %.1f ns/event, actor from a task %.1f ns/event, actor from a thread (Task each) %.1f ns/event", round, lockTime / Double(n) * 1e9, actorTime / Double(n) * 1e9, fromThread / Double(n / 10) * 1e9))
}
