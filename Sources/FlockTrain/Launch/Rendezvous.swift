import FlockComm
import Foundation

/// How launchers agree, round after round, on who is in the job, through keys in the
/// launchers' store (all under `rdzv/`):
///
/// - `round`: the newest round. A launcher joins it if it is still open, else it counts
///   itself in `waiting` (running launchers see that and restart to let it in) and joins
///   the next one.
/// - `<r>/joined`: a counter; the launcher that gets 1 leads round r: once `minNodes`
///   have joined it waits `lastCall` for more (up to `maxNodes`) and writes `<r>/closed`
///   with the number admitted. `<r>/node/<i>` holds member i's worker count.
/// - `<r>/stop`: written by the first launcher that sees a reason to end the round (a
///   failed worker, a dead node, a waiting newcomer); every member stops its workers.
/// - `<r>/heartbeat/<i>`: a counter each member increments every second.
struct Rendezvous {
    /// One agreed round: its number, this launcher's place, and every member's worker count.
    struct Round {
        let number: Int
        let nodeIndex: Int
        let workersPerNode: [Int]
        var worldSize: Int { workersPerNode.reduce(0, +) }
        var firstRank: Int { workersPerNode[..<nodeIndex].reduce(0, +) }
    }

    let store: RendezvousStore
    let configuration: LaunchConfiguration
    let timeout: Duration

    /// Joins the next round after `previous` (or the newest one) and waits until it closes.
    func join(after previous: Int?) throws -> Round {
        let deadline = ContinuousClock.now + timeout
        var number = try newestRound()
        if let previous, number <= previous {
            number = previous + 1
            _ = try store.compareAndSet(
                "rdzv/round", expected: Array("\(previous)".utf8), desired: Array("\(number)".utf8))
        } else if try store.contains(["rdzv/\(number)/closed"]) {
            // A running job: ask it to make room, and wait for its next round.
            try store.add("rdzv/waiting", 1)
            defer { _ = try? store.add("rdzv/waiting", -1) }
            while try newestRound() <= number {
                guard ContinuousClock.now < deadline else { throw LaunchError.rendezvous("no new round began") }
                Thread.sleep(forTimeInterval: 0.05)
            }
            number = try newestRound()
        }
        let index = Int(try store.add("rdzv/\(number)/joined", 1)) - 1
        try store.set("rdzv/\(number)/node/\(index)", Array("\(configuration.processesPerNode)".utf8))
        if index == 0 { try close(number, deadline: deadline) }
        let closed = Int(String(decoding: try store.get("rdzv/\(number)/closed", timeout: timeout), as: UTF8.self)) ?? 0
        guard index < closed else {
            // Arrived after the round closed: wait for the next one.
            return try join(after: nil)
        }
        let counts = try (0..<closed).map { node in
            Int(String(decoding: try store.get("rdzv/\(number)/node/\(node)", timeout: timeout), as: UTF8.self)) ?? 0
        }
        return Round(number: number, nodeIndex: index, workersPerNode: counts)
    }

    /// As the round's leader: waits for `minNodes`, then `lastCall` for more, and closes it.
    private func close(_ number: Int, deadline: ContinuousClock.Instant) throws {
        var enoughSince: ContinuousClock.Instant?
        while true {
            let joined = Int(try store.add("rdzv/\(number)/joined", 0))
            if joined >= configuration.minNodes && enoughSince == nil { enoughSince = .now }
            if joined >= configuration.maxNodes
                || enoughSince.map({ ContinuousClock.now - $0 >= configuration.lastCall }) == true
            {
                let admitted = min(joined, configuration.maxNodes)
                try store.set("rdzv/\(number)/closed", Array("\(admitted)".utf8))
                return
            }
            guard ContinuousClock.now < deadline else {
                throw LaunchError.rendezvous(
                    "only \(joined) of at least \(configuration.minNodes) nodes arrived for round \(number)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// The newest round number (0 when none has begun).
    func newestRound() throws -> Int {
        let value = try store.compareAndSet("rdzv/round", expected: nil, desired: Array("0".utf8))
        return Int(String(decoding: value ?? [], as: UTF8.self)) ?? 0
    }

    /// Records why round `number` must end (the first reason wins) and returns the reason in force.
    @discardableResult
    func stop(_ number: Int, reason: String) throws -> String {
        let value = try store.compareAndSet("rdzv/\(number)/stop", expected: nil, desired: Array(reason.utf8))
        return String(decoding: value ?? [], as: UTF8.self)
    }

    /// Why round `number` is ending, if some member said so.
    func stopReason(_ number: Int) throws -> String? {
        guard try store.contains(["rdzv/\(number)/stop"]) else { return nil }
        return String(decoding: try store.get("rdzv/\(number)/stop", timeout: .seconds(5)), as: UTF8.self)
    }

    /// Launchers waiting to join.
    func waiting() throws -> Int { Int(try store.add("rdzv/waiting", 0)) }

    /// Advances this member's heartbeat and returns every member's current count.
    func beat(_ round: Round) throws -> [Int64] {
        try store.add("rdzv/\(round.number)/heartbeat/\(round.nodeIndex)", 1)
        return try (0..<round.workersPerNode.count).map { try store.add("rdzv/\(round.number)/heartbeat/\($0)", 0) }
    }
}
