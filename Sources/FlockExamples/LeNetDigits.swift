import FlockNN
import FlockTensor
import Foundation

/// A LeNet-5-style CNN on the 8x8 digits (the second example): conv 5x5 (6) - max pool -
/// conv 3x3 (16) - max pool - 120 - 84 - 10, ReLU, Adam.
public enum LeNetDigits {
    /// The network for [N, 1, 8, 8] input.
    public static func makeModel() -> Sequential {
        Sequential(
            Conv2d(1, 6, kernelSize: (5, 5), padding: (2, 2)), ReLU(), MaxPool2d(kernel: (2, 2)),
            Conv2d(6, 16, kernelSize: (3, 3), padding: (1, 1)), ReLU(), MaxPool2d(kernel: (2, 2)),
            Flatten(), Linear(64, 120), ReLU(), Linear(120, 84), ReLU(), Linear(84, 10))
    }

    /// Trains for `epochs` and returns the test accuracy.
    public static func run(csvPath: String? = nil, epochs: Int = 15, seed: UInt64 = 0, showProgress: Bool = true) throws
        -> Double
    {
        GlobalRandom.seed(seed)
        let data = try DigitsMLP.loadData(csvPath: csvPath)
        let images = try TensorDataset(features: data.features.reshaped([-1, 1, 8, 8]), labels: data.labels)
        let (train, test) = try images.split(fraction: 0.8, seed: 2024)
        let model = makeModel()
        let optimizer = Adam(model.parameters(), learningRate: 5e-3)
        _ = try ClassifierTraining.train(
            model, optimizer: optimizer, train: train, test: test, epochs: epochs, batchSize: 64, seed: seed,
            showProgress: showProgress)
        return try ClassifierTraining.accuracy(model, test)
    }
}
