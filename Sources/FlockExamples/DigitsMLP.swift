import FlockNN
import FlockTensor
import Foundation

/// The main job of `flock demo`: an MLP (64-256-256-10, ReLU) trained with SGD (momentum
/// 0.9, lr 0.05, batch 64) on the UCI handwritten digits, a fixed 80/20 split, then a
/// checkpoint round trip that must give identical predictions.
public enum DigitsMLP {
    /// Hyperparameters of a run.
    public struct Configuration: Sendable {
        /// Passes over the training set.
        public var epochs = 30
        /// Samples per step.
        public var batchSize = 64
        /// SGD learning rate.
        public var learningRate = 0.05
        /// SGD momentum.
        public var momentum = 0.9
        /// Seed of the initialisation and the shuffles.
        public var seed: UInt64 = 0
        /// Whether to print progress and per-epoch test accuracy.
        public var showProgress = true
        /// The configuration (see the defaults above).
        public init() {}
    }

    /// What a run measured.
    public struct Report: Sendable {
        /// Accuracy on the held-out 20%.
        public let testAccuracy: Double
        /// Final epoch's mean training loss.
        public let finalLoss: Double
        /// Training samples per second (wall clock, all epochs).
        public let samplesPerSecond: Double
        /// Whether the reloaded checkpoint has bit-identical parameters.
        public let reloadedParametersMatch: Bool
        /// Whether the reloaded model gave bit-identical logits on the test set.
        public let reloadMatches: Bool
    }

    /// The network: 64 -> 256 -> 256 -> 10.
    public static func makeModel() -> Sequential {
        Sequential(Linear(64, 256), ReLU(), Linear(256, 256), ReLU(), Linear(256, 10))
    }

    /// Loads the data set as float32 features scaled to [0, 1] and int64 labels: the CSV
    /// file at `csvPath`, or the digits carried in the binary (`EmbeddedData`) when nil.
    public static func loadData(csvPath: String? = nil) throws -> TensorDataset {
        let table =
            try csvPath.map { try CSVTable(contentsOf: $0) }
            ?? CSVTable(parsing: EmbeddedData.digitsCSV, path: "the built-in digits.csv")
        return try TensorDataset(features: table.features * (1.0 / 16.0), labels: table.labels)
    }

    /// Trains, evaluates, saves to `checkpointPath`, reloads into a fresh model and
    /// compares predictions.
    public static func run(
        csvPath: String? = nil, checkpointPath: String, configuration: Configuration = Configuration()
    )
        throws -> Report
    {
        GlobalRandom.seed(configuration.seed)
        let (train, test) = try loadData(csvPath: csvPath).split(fraction: 0.8, seed: 2024)
        let model = makeModel()
        let optimizer = SGD(
            model.parameters(), learningRate: configuration.learningRate, momentum: configuration.momentum)
        let start = Date()
        let epochLoss = try ClassifierTraining.train(
            model, optimizer: optimizer, train: train, test: test, epochs: configuration.epochs,
            batchSize: configuration.batchSize, seed: configuration.seed, showProgress: configuration.showProgress)
        let seconds = Date().timeIntervalSince(start)
        let testAccuracy = try ClassifierTraining.accuracy(model, test)

        let stepsPerEpoch = (train.count + configuration.batchSize - 1) / configuration.batchSize
        try TrainingCheckpoint.save(
            model: model, optimizer: optimizer, step: configuration.epochs * stepsPerEpoch, to: checkpointPath)
        let reloaded = makeModel()
        try TrainingCheckpoint.load(into: reloaded, from: checkpointPath)
        let parametersMatch = zip(model.stateDictionary(), reloaded.stateDictionary()).allSatisfy {
            $0.0 == $1.0 && $0.1 == $1.1
        }
        let matches =
            try ClassifierTraining.logits(model, test.features) == ClassifierTraining.logits(reloaded, test.features)
        return Report(
            testAccuracy: testAccuracy, finalLoss: epochLoss,
            samplesPerSecond: Double(train.count * configuration.epochs) / seconds,
            reloadedParametersMatch: parametersMatch, reloadMatches: matches)
    }
}
