import Atomics

#if canImport(Glibc)
    import Glibc
#endif

/// A barrier through flags in shared memory, for ranks that are already inside the same
/// operation (between the pieces of a shared-memory all-reduce), where a TCP round trip
/// per barrier would cost more than the work between them.
///
/// Generation g: each rank publishes g in its flag (release), then waits until every
/// peer's flag has reached g (acquire), so all writes a rank made before the barrier are
/// visible to every rank after it. Waiting spins briefly, then yields the core (ranks
/// may outnumber cores), then sleeps in 50 us steps once the wait gets long. Every 256
/// checks it looks at the deadline and at the TCP connections, so a dead peer or a
/// timeout ends the wait with the same errors as over TCP.
enum SharedMemoryBarrier {
    static func run(_ context: CollectiveContext, window: SharedMemoryWindow) throws {
        let (rank, n) = (context.rank, context.size)
        let generation = window.nextGeneration()
        window.flag(of: rank).store(generation, ordering: .releasing)
        let slowAt = Deadline.after(context.slowAfter)
        var reportedSlow = false
        var checks = 0
        for peer in 0..<n where peer != rank {
            while window.flag(of: peer).load(ordering: .acquiring) < generation {
                checks += 1
                if checks < 64 { continue }
                if checks < 4096 { sched_yield() } else { usleep(50) }
                guard checks % 256 == 0 else { continue }
                if let closed = context.transport.closedPeer() {
                    throw TransportFailure.peerGone(peer: closed, reason: "closed its connection")
                }
                if context.deadline.hasPassed {
                    let missing = (0..<n).filter {
                        $0 != rank && window.flag(of: $0).load(ordering: .acquiring) < generation
                    }
                    throw TransportFailure.timedOut(waitingOn: missing)
                }
                if !reportedSlow && slowAt.hasPassed {
                    reportedSlow = true
                    context.onSlowWait()
                }
            }
        }
    }
}
