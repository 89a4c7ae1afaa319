// The worker program FlockCommTests start as real processes: `FlockCommTestWorker
// SCENARIO`, with the job in the environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
// FLOCK_TOKEN). It prints "ok" and exits 0 when the scenario's checks pass, prints the
// error and exits 3 when a collective fails (the fault scenarios expect that), and exits 1
// when a check finds a wrong value.
import FlockComm
import FlockTensor
import Foundation

let scenario = CommandLine.arguments.dropFirst().first ?? "collectives"
let environment = ProcessInfo.processInfo.environment
let timeout = Duration.seconds(Int64(environment["WORKER_TIMEOUT"] ?? "30") ?? 30)

/// Fails the process (exit 1) with a message naming the check.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        print("check failed: \(message())")
        exit(1)
    }
}

/// Rank r's factors for products: 1 or 2, so products stay exact (and within int32).
func factors(rank: Int, count: Int, dtype: DType) throws -> Tensor {
    try Tensor((0..<count).map { Double(($0 + rank) % 2 + 1) }, shape: [count]).casted(to: dtype)
}

/// Rank r's contribution, element i: small dyadic values, so sums and products are exact
/// in every dtype whatever the order.
func contribution(rank: Int, count: Int, dtype: DType) throws -> Tensor {
    let values = (0..<count).map { Double((rank + 1) * ((($0 * 7) % 5) + 1)) / (dtype.isFloatingPoint ? 4 : 1) }
    return try Tensor(values, shape: [count]).casted(to: dtype)
}

func values(_ tensor: Tensor) -> [Double] { tensor.doubleScalars() }

if scenario == "store-few-descriptors" {
    // A store whose process may open only 64 descriptors: connections past that make
    // accept() fail with EMFILE, which must not end the server's accepting.
    var limit = rlimit(rlim_cur: 64, rlim_max: 64)
    check(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, "setrlimit")
    let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: environment["FLOCK_TOKEN"] ?? "")
    FileHandle.standardOutput.write(Data("port \(server.port)\n".utf8))
    Thread.sleep(forTimeInterval: 120)
    exit(0)
}

do {
    let group = try ProcessGroup.initialize(timeout: timeout)
    let (rank, world) = (group.rank, group.worldSize)
    switch scenario {
    case "collectives":
        try checkEveryCollective(group)
    case "determinism":
        // Random float32 data, large enough for the ring: two runs and all ranks agree bitwise.
        var generator = RandomGenerator(seed: UInt64(100 + rank))
        let x = try Tensor.randomNormal([300_001], generator: &generator)
        let first = try group.allReduce(x).wait()
        let second = try group.allReduce(x).wait()
        check(first == second, "two all-reduces of the same data differ")
        let everyone = try group.allGather(first).wait()
        for r in 0..<world { check(try everyone[.at(r)] == first, "rank \(r)'s result differs from rank \(rank)'s") }
    case "subgroup":
        let evens = Array(stride(from: 0, to: world, by: 2))
        let sub = try group.newGroup(ranks: evens)
        check((sub != nil) == (rank % 2 == 0), "membership of the even subgroup")
        if let sub {
            let summed = try sub.allReduce(Tensor([Double(rank)], shape: [1])).wait()
            check(values(summed) == [Double(evens.reduce(0, +))], "subgroup sum \(values(summed))")
        }
        let all = try group.allReduce(Tensor([1.0], shape: [1])).wait()
        check(values(all) == [Double(world)], "world sum after subgroup")
    case "kill":
        // Large all-reduces until a rank is killed; the survivors must fail fast.
        let x = try Tensor.ones([4 << 20])
        let marker = environment["WORKER_READY_FILE"].map { "\($0).\(rank)" }
        for iteration in 0..<100_000 {
            _ = try group.allReduce(x).wait()
            if iteration == 2, let marker { _ = FileManager.default.createFile(atPath: marker, contents: Data()) }
        }
    case "store-host-dies":
        // Rank 0 hosts the store and is killed; the others' pending and later store calls
        // must fail within seconds, naming the store.
        let base = environment["WORKER_READY_FILE"] ?? ""
        let marker = "\(base).\(rank)"
        if rank == 0 {
            // Ready (to be killed) once every other rank holds its store connection.
            while !(1..<world).allSatisfy({ FileManager.default.fileExists(atPath: "\(base).\($0)") }) {
                Thread.sleep(forTimeInterval: 0.01)
            }
            Thread.sleep(forTimeInterval: 0.2)  // their get is in flight
            _ = FileManager.default.createFile(atPath: marker, contents: Data())
            Thread.sleep(forTimeInterval: 600)
        }
        let store = try RendezvousStore(
            host: environment["MASTER_ADDR"] ?? "", port: Int(environment["MASTER_PORT"] ?? "") ?? 0,
            token: environment["FLOCK_TOKEN"] ?? "", timeout: timeout)
        _ = FileManager.default.createFile(atPath: marker, contents: Data())
        do {
            _ = try store.get("never-set")
            check(false, "a get on a dead store returned")
        } catch {
            print("pending call: \(error)")
        }
        let started = ContinuousClock.now
        do {
            try store.set("later", [1])
            check(false, "a set on a dead store returned")
        } catch {
            print("later call failed after \((ContinuousClock.now - started).components.seconds) s: \(error)")
            exit(3)
        }
    case "mismatch":
        let x = try Tensor.ones([1000])
        if rank == 1 { _ = try group.broadcast(x, from: 0).wait() } else { _ = try group.allReduce(x).wait() }
    case "count-mismatch":
        _ = try group.allReduce(try Tensor.ones([rank == 1 ? 999 : 1000])).wait()
    case "stall":
        // Rank 1 freezes (SIGSTOP) inside a large shared-memory all-reduce, between its
        // pieces; the others must time out naming it.
        let x = try Tensor.ones([16 << 20])
        _ = try group.allReduce(x, timeout: .seconds(3)).wait()
        let work = try group.allReduce(x, timeout: .seconds(3))
        if rank == 1 {
            usleep(5000)
            kill(getpid(), SIGSTOP)
        }
        _ = try work.wait()
    case "timeout":
        // Rank 1 never arrives at the all-reduce (it sleeps past the others' timeout).
        if rank == 1 {
            Thread.sleep(forTimeInterval: 8)
        } else {
            _ = try group.allReduce(try Tensor.ones([10]), timeout: .seconds(3)).wait()
        }
    default:
        print("unknown scenario \(scenario)")
        exit(2)
    }
    print("ok")
    exit(0)
} catch {
    print("error: \(error)")
    exit(3)
}

/// Every collective on every dtype, against values computed locally.
func checkEveryCollective(_ group: ProcessGroup) throws {
    let (rank, world) = (group.rank, group.worldSize)
    for dtype in [DType.float32, .float64, .int32, .int64] {
        // Sizes around the algorithm switches: tiny, odd, recursive doubling, ring.
        for count in [1, 7, 1000, 40_000] {
            let mine = try contribution(rank: rank, count: count, dtype: dtype)
            let all = try (0..<world).map { try contribution(rank: $0, count: count, dtype: dtype) }
            let allValues = all.map(values)
            let columns = (0..<count).map { i in allValues.map { $0[i] } }
            let allFactors = try (0..<world).map { values(try factors(rank: $0, count: count, dtype: dtype)) }
            let factorColumns = (0..<count).map { i in allFactors.map { $0[i] } }
            for op in ReduceOp.allCases where op != .mean || dtype.isFloatingPoint {
                let input = op == .product ? try factors(rank: rank, count: count, dtype: dtype) : mine
                let expected: [Double] = (op == .product ? factorColumns : columns).map { column in
                    switch op {
                    case .sum: column.reduce(0, +)
                    case .mean: column.reduce(0, +) / Double(world)
                    case .product: column.reduce(1, *)
                    case .min: column.min()!
                    case .max: column.max()!
                    }
                }
                let reduced = try group.allReduce(input, op: op).wait()
                check(reduced.dtype == dtype && values(reduced) == expected, "allReduce \(op) \(dtype) x \(count)")
                let root = count % world
                let atRoot = try group.reduce(input, to: root, op: op).wait()
                check(
                    values(atRoot) == (rank == root ? expected : values(input)), "reduce \(op) \(dtype) x \(count)")
            }
            let root = (count + 1) % world
            let broadcast = try group.broadcast(mine, from: root).wait()
            check(values(broadcast) == allValues[root], "broadcast \(dtype) x \(count)")
            let gathered = try group.allGather(mine).wait()
            check(gathered.shape == [world, count], "allGather shape \(gathered.shape)")
            check(values(gathered) == all.flatMap(values), "allGather \(dtype) x \(count)")
            let atRoot = try group.gather(mine, to: root).wait()
            check((atRoot != nil) == (rank == root), "gather result only on root")
            if let atRoot { check(values(atRoot) == all.flatMap(values), "gather \(dtype) x \(count)") }
            // reduceScatter and allToAll on [world * count]: rank r's block j holds the
            // contribution of r shifted by j.
            let blocks = try Tensor.concatenate(
                (0..<world).map { try contribution(rank: rank + $0, count: count, dtype: dtype) }, axis: 0)
            let scattered = try group.reduceScatter(blocks).wait()
            // Rank r's block `rank` is contribution(r + rank).
            let shifted = try (0..<world).map { values(try contribution(rank: $0 + rank, count: count, dtype: dtype)) }
            let expectedBlock = (0..<count).map { i in shifted.reduce(0) { $0 + $1[i] } }
            check(values(scattered) == expectedBlock, "reduceScatter \(dtype) x \(count)")
            let exchanged = try group.allToAll(blocks).wait()
            let expectedExchange = shifted.flatMap { $0 }
            check(values(exchanged) == expectedExchange, "allToAll \(dtype) x \(count)")
            let source = rank == root ? try Tensor.concatenate(all, axis: 0).reshaped([world, count]) : nil
            let piece = try group.scatter(source, from: root, shape: [count], dtype: dtype).wait()
            check(values(piece) == allValues[rank], "scatter \(dtype) x \(count)")
            if world > 1 {
                // A ring of sends: each rank sends to the next and receives from the previous.
                let next = (rank + 1) % world
                let previous = (rank + world - 1) % world
                let sent = try group.send(mine, to: next)
                let received = try group.receive(from: previous, shape: [count], dtype: dtype).wait()
                try sent.wait()
                check(values(received) == allValues[previous], "send/receive \(dtype) x \(count)")
            }
        }
    }
    try checkByteCollectives(group)
    try group.barrier().wait()
    let wantsSharedMemory = world > 1 && environment["FLOCK_SHM"] != "0" && environment["EXPECT_TCP"] == nil
    check(group.usesSharedMemory == wantsSharedMemory, "shared memory in use: \(group.usesSharedMemory)")
    // Large messages: the ring or shared-memory all-reduce (many pieces, each element
    // different, so a piece copied from the wrong slot shows) and the broadcast chain.
    let count = 1_000_003
    let ramp = try Tensor((0..<count).map { Double($0 + rank) }, shape: [count])
    let total = try group.allReduce(ramp).wait()
    let offset = Double(world * (world - 1) / 2)
    check(values(total) == (0..<count).map { Double(world * $0) + offset }, "large allReduce")
    let large = try Tensor.full([count], value: Double(rank + 1))
    let fromLast = try group.broadcast(large, from: world - 1).wait()
    check(Set(values(fromLast)) == [Double(world)], "large broadcast")
    let rampFromLast = try group.broadcast(ramp, from: world - 1).wait()
    check(values(rampFromLast) == (0..<count).map { Double($0 + world - 1) }, "large broadcast of a ramp")
    let ramps = try group.allGather(ramp).wait()
    check(values(ramps) == (0..<world).flatMap { r in (0..<count).map { Double($0 + r) } }, "large allGather")
    let rampBlocks = try Tensor((0..<world * count).map { Double($0 + rank) }, shape: [world * count])
    let scattered = try group.reduceScatter(rampBlocks).wait()
    check(
        values(scattered) == (0..<count).map { Double(world * (rank * count + $0)) + offset }, "large reduceScatter")
    let smallest = try group.reduceScatter(rampBlocks, op: .min).wait()
    check(values(smallest) == (0..<count).map { Double(rank * count + $0) }, "large reduceScatter min")
    try checkCoalesced(group)
}

/// `allReduceCoalesced` equals `allReduce` of the concatenation bit for bit: parts that
/// straddle pieces and blocks (large, through shared memory where there is some), and a
/// small call (TCP); and it refuses no tensors and mixed dtypes.
func checkCoalesced(_ group: ProcessGroup) throws {
    let rank = group.rank
    for (sizes, dtype) in [([1000, 300_001, 5, 77_777], DType.float32), ([3, 4], .float64), ([40_000, 1], .float64)] {
        let parts = try sizes.enumerated().map { index, size in
            try Tensor((0..<size).map { Double(($0 * 7 + index * 13 + rank * 5) % 1001) / 8 }, shape: [size])
                .casted(to: dtype)
        }
        let whole = try Tensor.concatenate(parts, axis: 0)
        for op in [ReduceOp.sum, .mean, .max] {
            let coalesced = try group.allReduceCoalesced(parts, op: op).wait()
            let reference = try group.allReduce(whole, op: op).wait()
            check(
                coalesced.shape == [whole.count] && values(coalesced) == values(reference),
                "allReduceCoalesced \(op) \(dtype) \(sizes)")
        }
    }
    check((try? group.allReduceCoalesced([])) == nil, "allReduceCoalesced of no tensors refused")
    let mixed = [try Tensor.zeros([3]), try Tensor.zeros([3], dtype: .float64)]
    check((try? group.allReduceCoalesced(mixed)) == nil, "allReduceCoalesced of mixed dtypes refused")
}

/// Raw bytes of lengths that differ by rank (rank r has r * 37 bytes: rank 0 none).
func checkByteCollectives(_ group: ProcessGroup) throws {
    let (rank, world) = (group.rank, group.worldSize)
    func message(_ rank: Int) -> [UInt8] { (0..<rank * 37).map { UInt8(truncatingIfNeeded: $0 * 13 + rank) } }
    for root in world > 1 ? [0, world - 1] : [0] {
        let received = try group.broadcast(bytes: message(rank), from: root).wait()
        check(received == message(root), "broadcast(bytes) from \(root)")
    }
    let everyone = try group.allGather(bytes: message(rank)).wait()
    check(everyone == (0..<world).map(message), "allGather(bytes)")
    if world > 1 {
        let sent = try group.send(bytes: message(rank), to: (rank + 1) % world)
        let previous = (rank + world - 1) % world
        check(try group.receive(bytesFrom: previous).wait() == message(previous), "send/receive(bytes)")
        try sent.wait()
    }
}
