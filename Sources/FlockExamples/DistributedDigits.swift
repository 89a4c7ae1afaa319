import FlockComm
import FlockNN
import FlockTensor
import FlockTrain
import Foundation

/// The digits MLP (`DigitsMLP`) trained data-parallel: every rank of `group` trains a
/// replica on its `DistributedSampler` shard with `globalBatchSize / worldSize` samples per
/// step, gradients averaged by `DistributedDataParallel`, and a `DistributedCheckpoint`
/// written every `checkpointEvery` steps and at each epoch's end. Started again after a
/// crash (by `flock launch --max-restarts`), it resumes from the checkpoint.
public enum DistributedDigits {
    /// Training settings.
    public struct Configuration: Sendable {
        /// Passes over the training set.
        public var epochs = 30
        /// Samples per optimizer step over all ranks (divisible by the world size).
        public var globalBatchSize = 64
        /// SGD learning rate and momentum (the demo's).
        public var learningRate = 0.05
        public var momentum = 0.9
        /// Seed of initialisation and shuffling (the same on every rank).
        public var seed: UInt64 = 0
        /// Where the checkpoint lives (nil: no checkpoints, no resuming).
        public var checkpointPath: String?
        /// Steps between checkpoints (0: only at epoch ends).
        public var checkpointEvery = 0
        /// A pause after each step (to give fault tests time to strike mid-epoch).
        public var stepDelay: Duration = .zero

        /// The defaults.
        public init() {}
    }

    /// What the run achieved.
    public struct Report: Sendable {
        /// Accuracy on the 20% test split.
        public let testAccuracy: Double
        /// The checkpoint position the run started from (nil: from scratch).
        public let resumedFrom: TrainingPosition?
        /// Optimizer steps in total.
        public let steps: Int
    }

    /// Trains on `group`; rank 0 prints a line per epoch.
    public static func run(
        csvPath: String? = nil, group: ProcessGroup, configuration: Configuration = Configuration()
    ) throws
        -> Report
    {
        let world = group.worldSize
        guard configuration.globalBatchSize % world == 0 else {
            throw ModuleError.invalidInput(
                module: "DistributedDigits",
                reason: "global batch \(configuration.globalBatchSize) is not divisible by \(world) ranks")
        }
        GlobalRandom.seed(configuration.seed)
        let (train, test) = try DigitsMLP.loadData(csvPath: csvPath).split(fraction: 0.8, seed: 2024)
        let model = try DistributedDataParallel(DigitsMLP.makeModel(), group: group)
        let optimizer = SGD(
            model.module.parameters(), learningRate: configuration.learningRate, momentum: configuration.momentum)
        let sampler = try DistributedSampler(
            datasetCount: train.count, rank: group.rank, worldSize: world, seed: configuration.seed)
        let resumed = try configuration.checkpointPath.flatMap {
            try DistributedCheckpoint.resume(model: model.module, optimizer: optimizer, group: group, from: $0)
        }
        let ranks = world == 1 ? "1 rank" : "\(world) ranks"
        var position = resumed ?? .start
        if let resumed, group.rank == 0 {
            say("resuming at epoch \(resumed.epoch + 1), step \(resumed.step) on \(ranks)")
        }
        func checkpoint() throws {
            guard let path = configuration.checkpointPath else { return }
            try DistributedCheckpoint.save(
                model: model.module, optimizer: optimizer, position: position, group: group, to: path)
        }
        while position.epoch < configuration.epochs {
            let shard = sampler.shard(of: train, epoch: position.epoch, skipping: position.samplesDone)
            let loader = try DataLoader(
                shard, batchSize: configuration.globalBatchSize / world, shuffle: false, prefetch: 0)
            var total = 0.0
            var steps = 0
            try loader.forEachBatch { features, labels in
                optimizer.zeroGrad()
                let loss = try Loss.crossEntropy(model(features), labels: labels)
                try loss.backward()
                try optimizer.step()
                total += loss.value.doubleScalars()[0]
                steps += 1
                position.step += 1
                position.samplesDone += labels.count
                if configuration.checkpointEvery > 0 && position.step % configuration.checkpointEvery == 0 {
                    try checkpoint()
                }
                if configuration.stepDelay > .zero { Thread.sleep(forTimeInterval: configuration.stepDelay.seconds) }
            }
            position = TrainingPosition(step: position.step, epoch: position.epoch + 1, samplesDone: 0)
            try checkpoint()
            if group.rank == 0 {
                let accuracy = try ClassifierTraining.accuracy(model.module, test)
                say(
                    String(
                        format: "epoch %d/%d: loss %.4f, test accuracy %.4f", position.epoch,
                        configuration.epochs, total / Double(max(steps, 1)), accuracy) + " (\(ranks))")
            }
        }
        return Report(
            testAccuracy: try ClassifierTraining.accuracy(model.module, test), resumedFrom: resumed,
            steps: position.step)
    }

    /// Prints a line at once (standard output is a pipe under the launcher).
    private static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
