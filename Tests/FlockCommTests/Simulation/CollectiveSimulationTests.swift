import FlockTensor
import Foundation
import Testing

@testable import FlockComm

/// Every collective over the in-memory transport, for world sizes 1 to 9 and 13, against
/// references computed here; delays and the order of each exchange's messages vary with
/// a seed (fresh each run, printed; `FLOCK_SIM_SEED` replays one). One world size at a
/// time: each runs a thread per rank.
///
/// Inputs are small integers (-2...2), so sums and products are exact in every dtype and
/// any order: a result differs from the reference only if an algorithm moved or combined
/// the wrong bytes.
@Suite("Collectives over an in-memory transport: every world size, against references", .serialized)
struct CollectiveSimulationTests {
    static let worldSizes = Array(1...9) + [13]
    /// 0, 1 and 4 elements; 4099 (uneven blocks); 20,011 float32 (past the recursive-doubling
    /// limit: the ring) and 70,001 (past broadcast's chain threshold).
    static let counts = [0, 1, 4, 4099, 20_011, 70_001]

    @Test(
        "all-reduce (every op and dtype), broadcast, reduce, all-gather, reduce-scatter, gather, scatter, all-to-all, barrier, send/receive",
        arguments: worldSizes)
    func everyCollective(worldSize: Int) throws {
        let seed =
            ProcessInfo.processInfo.environment["FLOCK_SIM_SEED"].flatMap(UInt64.init)
            ?? UInt64.random(in: 0..<(1 << 48))
        let network = MemoryNetwork(worldSize: worldSize, seed: seed)
        let groups = network.transports().map { ProcessGroup(transport: $0, name: "sim", timeout: .seconds(120)) }
        let failures = Failures()
        let references = References(world: worldSize, counts: Self.counts)
        let done = DispatchGroup()
        for group in groups {
            done.enter()
            Thread {
                defer { done.leave() }
                do {
                    try Self.script(group, references: references, failures: failures)
                } catch {
                    failures.add("rank \(group.rank): \(error)")
                }
            }.start()
        }
        done.wait()
        #expect(!network.isAborted)
        let found = failures.all
        #expect(found.isEmpty, "world \(worldSize), seed \(seed) (FLOCK_SIM_SEED=\(seed)): \(found.prefix(5))")
    }

    /// What every rank runs, checking each result against the reference.
    static func script(_ group: ProcessGroup, references: References, failures: Failures) throws {
        let (rank, world) = (group.rank, group.worldSize)
        func check(_ name: String, _ result: Tensor?, _ expected: [Double]?, shape: [Int]? = nil) throws {
            let got = result.map { $0.doubleScalars() }
            // Exact but for a float32 mean, rounded once on each side.
            let close =
                got?.count == expected?.count
                && zip(got ?? [], expected ?? []).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }
            guard (got == nil) == (expected == nil), close, shape == nil || result?.shape == shape else {
                failures.add("rank \(rank) \(name): got \(got?.prefix(6) ?? []) expected \(expected?.prefix(6) ?? [])")
                return
            }
        }
        for count in counts {
            let root = count % world
            for dtype in [DType.float32, .float64, .int32, .int64] where count <= 4099 || dtype == .float32 {
                let ops: [ReduceOp] = count > 4099 ? [.sum, .mean] : [.sum, .min, .max, .product, .mean]
                for op in ops where op != .mean || dtype.isFloatingPoint {
                    let result = try group.allReduce(input(rank, count, dtype), op: op).wait()
                    try check(
                        "allReduce \(op) \(dtype) x\(count)", result, references.reduced(count, op), shape: [count])
                }
            }
            let broadcast = try group.broadcast(input(rank, count, .float32), from: root).wait()
            try check("broadcast x\(count)", broadcast, values(root, count))
            guard count <= 4099 else { continue }
            let reducedToRoot = try group.reduce(input(rank, count, .int64), to: root, op: .sum).wait()
            try check(
                "reduce x\(count)", reducedToRoot, rank == root ? references.reduced(count, .sum) : values(rank, count))
            let gathered = try group.allGather(input(rank, count, .float64)).wait()
            try check(
                "allGather x\(count)", gathered, (0..<world).flatMap { values($0, count) }, shape: [world, count])
            let slices = try Tensor(
                (0..<world).flatMap { values(rank * world + $0, count) }.map { Float($0) }, shape: [world, count])
            let scattered = try group.reduceScatter(slices, op: .sum).wait()
            let mine = (0..<world).map { values($0 * world + rank, count) }  // slice `rank` of every rank's input
            let column = (0..<count).map { i in mine.reduce(0.0) { $0 + $1[i] } }
            try check("reduceScatter x\(count)", scattered, column, shape: [1, count])
            let toRoot = try group.gather(input(rank, count, .int32), to: root).wait()
            try check("gather x\(count)", toRoot, rank == root ? (0..<world).flatMap { values($0, count) } : nil)
            let fromRoot = try group.scatter(rank == root ? slices : nil, from: root, shape: [count], dtype: .float32)
                .wait()
            try check("scatter x\(count)", fromRoot, values(root * world + rank, count))
            let exchanged = try group.allToAll(slices).wait()
            try check("allToAll x\(count)", exchanged, (0..<world).flatMap { values($0 * world + rank, count) })
            try group.barrier().wait()
            guard world > 1 else { continue }
            let sent = try group.send(input(rank, count, .float64), to: (rank + 1) % world)
            let received = try group.receive(from: (rank + world - 1) % world, shape: [count], dtype: .float64).wait()
            try sent.wait()
            try check("send/receive x\(count)", received, values((rank + world - 1) % world, count))
        }
    }

    /// Rank `rank`'s `count` input values: small integers in -2...2.
    static func values(_ rank: Int, _ count: Int) -> [Double] {
        (0..<count).map { Double((rank * 7 + $0 * 3) % 5 - 2) }
    }

    static func input(_ rank: Int, _ count: Int, _ dtype: DType) throws -> Tensor {
        let values = values(rank, count)
        switch dtype {
        case .float64: return Tensor(values)
        case .int32: return Tensor(values.map { Int32($0) })
        case .int64: return Tensor(values.map { Int64($0) })
        default: return Tensor(values.map { Float($0) })
        }
    }

}

/// The element-wise reductions of every rank's values, computed once per world size (the
/// ranks' threads share them).
struct References: Sendable {
    private let table: [String: [Double]]

    init(world: Int, counts: [Int]) {
        var table: [String: [Double]] = [:]
        for count in counts {
            let all = (0..<world).map { CollectiveSimulationTests.values($0, count) }
            for op in [ReduceOp.sum, .mean, .min, .max, .product] {
                var out = all[0]
                for other in all.dropFirst() {
                    for i in 0..<count {
                        switch op {
                        case .sum, .mean: out[i] += other[i]
                        case .product: out[i] *= other[i]
                        case .min: out[i] = min(out[i], other[i])
                        case .max: out[i] = max(out[i], other[i])
                        }
                    }
                }
                if op == .mean { out = out.map { $0 / Double(world) } }
                table["\(count)/\(op)"] = out
            }
        }
        self.table = table
    }

    /// `op` over every rank's `count` values (mean: the sum over the world size, which a
    /// float32 result rounds once).
    func reduced(_ count: Int, _ op: ReduceOp) -> [Double] { table["\(count)/\(op)"] ?? [] }
}

/// Failures found by the ranks' threads.
final class Failures: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var found: [String] = []

    func add(_ failure: String) { lock.withLock { found.append(failure) } }
    var all: [String] { lock.withLock { found } }
}
