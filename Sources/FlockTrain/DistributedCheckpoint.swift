import FlockComm
import FlockNN
import FlockTensor
import Foundation

/// Where a data-parallel run is: optimizer steps taken, the epoch, and how many samples of
/// the epoch each rank has consumed (the sampler position).
public struct TrainingPosition: Sendable, Equatable {
    /// Optimizer steps taken so far.
    public var step: Int
    /// The epoch in progress.
    public var epoch: Int
    /// Samples of `epoch` each rank has already trained on.
    public var samplesDone: Int

    /// The beginning of a run.
    public static let start = TrainingPosition(step: 0, epoch: 0, samplesDone: 0)

    /// A position.
    public init(step: Int, epoch: Int, samplesDone: Int) {
        self.step = step
        self.epoch = epoch
        self.samplesDone = samplesDone
    }
}

/// Checkpoints of a data-parallel run: one safetensors file (TrainingCheckpoint's format)
/// with the replica's model and optimizer state, the position, and every rank's random
/// generator, written by rank 0 atomically (temp file, fsync, rename) so a crash leaves
/// the previous checkpoint intact. All ranks call `save` and `resume` together.
public enum DistributedCheckpoint {
    /// Writes the checkpoint at `path` (rank 0 writes; every rank returns once it exists).
    public static func save(
        model: Module, optimizer: Optimizer?, position: TrainingPosition, group: ProcessGroup, to path: String
    ) throws {
        let random = GlobalRandom.state
        let states = try group.allGather(bytes: Array("\(random.state) \(random.increment)".utf8)).wait()
        if group.rank == 0 {
            var metadata = [
                "flock.epoch": String(position.epoch), "flock.samples-done": String(position.samplesDone),
                "flock.world-size": String(group.worldSize),
            ]
            for (rank, state) in states.enumerated() {
                metadata["flock.rng.\(rank)"] = String(decoding: state, as: UTF8.self)
            }
            try TrainingCheckpoint.save(
                model: model, optimizer: optimizer, step: position.step, extraMetadata: metadata, to: path)
        }
        try group.barrier().wait()
    }

    /// Loads the checkpoint at `path` into `model` and `optimizer` and returns its
    /// position, or nil when there is none yet (a fresh start). Each rank restores its own
    /// random generator when the world size is unchanged; after an elastic resize the
    /// epoch's position is rescaled to the same number of samples in total.
    /// - Throws: `CheckpointError` for a damaged or mismatched file.
    public static func resume(model: Module, optimizer: Optimizer?, group: ProcessGroup, from path: String) throws
        -> TrainingPosition?
    {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let (step, metadata) = try TrainingCheckpoint.restore(into: model, optimizer: optimizer, from: path)
        func number(_ key: String) throws -> Int {
            guard let value = metadata[key].flatMap(Int.init) else {
                throw CheckpointError.missingEntry(path: path, name: key)
            }
            return value
        }
        let savedWorld = try number("flock.world-size")
        var position = TrainingPosition(
            step: step, epoch: try number("flock.epoch"), samplesDone: try number("flock.samples-done"))
        if savedWorld == group.worldSize {
            let parts = (metadata["flock.rng.\(group.rank)"] ?? "").split(separator: " ").compactMap { UInt64($0) }
            if parts.count == 2 { GlobalRandom.state = RandomGenerator(state: parts[0], increment: parts[1]) }
        } else {
            position.samplesDone = position.samplesDone * savedWorld / group.worldSize
            GlobalRandom.seed(UInt64(step) &* 1_000_003 &+ UInt64(group.rank))
        }
        return position
    }
}
