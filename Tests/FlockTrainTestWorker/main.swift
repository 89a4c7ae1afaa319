// The worker program FlockTrainTests run under `flock launch`: `FlockTrainTestWorker
// SCENARIO`. Prints "ok" and exits 0 when its checks pass, exits 1 when a check fails,
// and prints the error and exits 3 when training throws.
import FlockComm
import FlockNN
import FlockTensor
import FlockTrain
import Foundation

let scenario = CommandLine.arguments.dropFirst().first ?? "equivalence"

/// Fails the process (exit 1) with a message naming the check.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        print("check failed: \(message())")
        exit(1)
    }
}

/// A small MLP with a fixed initialisation (the same on every rank before DDP's broadcast).
func makeModel() -> Sequential {
    GlobalRandom.seed(11)
    return Sequential(Linear(5, 16), Tanh(), Linear(16, 16), ReLU(), Linear(16, 3))
}

/// The global batch: 12 samples (divisible by 1, 2, 3, 4 and 6 ranks).
func globalBatch() throws -> (Tensor, Tensor) {
    var generator = RandomGenerator(seed: 5)
    let features = try Tensor.randomNormal([12, 5], generator: &generator)
    let labels = try Tensor((0..<12).map { Int64($0 % 3) }, shape: [12])
    return (features, labels)
}

/// Five SGD steps (momentum, weight decay) of cross-entropy on `batch`.
func train(_ forward: (Tensor) throws -> Variable, parameters: [Parameter], batch: (Tensor, Tensor)) throws {
    let optimizer = SGD(parameters, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
    let (features, labels) = batch
    for _ in 0..<5 {
        optimizer.zeroGrad()
        try Loss.crossEntropy(forward(features), labels: labels).backward()
        try optimizer.step()
    }
}

do {
    let group = try ProcessGroup.initialize(timeout: .seconds(30))
    let (rank, world) = (group.rank, group.worldSize)
    switch scenario {
    case "equivalence":
        // DDP on equal shards of the global batch == one process on the whole batch.
        let (features, labels) = try globalBatch()
        let share = 12 / world
        let ddp = try DistributedDataParallel(makeModel(), group: group, bucketCapacityBytes: 512)
        check(ddp.bucketCount > 1, "several buckets (\(ddp.bucketCount))")
        let shard = (
            try features[.range(rank * share, (rank + 1) * share)], try labels[.range(rank * share, (rank + 1) * share)]
        )
        try train({ try ddp($0) }, parameters: ddp.module.parameters(), batch: shard)
        let reference = makeModel()
        try train({ try reference($0) }, parameters: reference.parameters(), batch: (features, labels))
        for ((name, mine), (_, expected)) in zip(ddp.module.stateDictionary(), reference.stateDictionary()) {
            let difference = try (mine - expected).abs().max().item(as: Float.self)
            check(difference < 1e-5, "\(name) differs from single-process training by \(difference)")
        }
    case "raise":
        // Rank 1 fails after two steps; the others are inside an all-reduce by then.
        let ddp = try DistributedDataParallel(makeModel(), group: group)
        let (features, labels) = try globalBatch()
        for step in 0..<1000 {
            if rank == 1 && step == 2 {
                struct DeliberateFailure: Error, CustomStringConvertible {
                    var description: String { "deliberate failure in rank 1" }
                }
                throw DeliberateFailure()
            }
            try Loss.crossEntropy(ddp(features), labels: labels).backward()
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
