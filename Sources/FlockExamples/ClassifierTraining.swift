import FlockNN
import FlockTensor
import Foundation

/// The training loop the classification examples share: epochs of shuffled batches,
/// cross-entropy, backward, optimizer step, with progress and a test accuracy per epoch.
enum ClassifierTraining {
    /// Trains `model` for `epochs` and returns the last epoch's mean loss.
    static func train(
        _ model: Module, optimizer: Optimizer, train: TensorDataset, test: TensorDataset, epochs: Int,
        batchSize: Int, seed: UInt64, showProgress: Bool
    ) throws -> Double {
        var loader = try DataLoader(train, batchSize: batchSize, shuffle: true, seed: seed)
        let progress = ProgressReporter(
            epochs: epochs, stepsPerEpoch: loader.batchCount, interactive: showProgress && isatty(STDOUT_FILENO) != 0)
        var epochLoss = 0.0
        for epoch in 1...max(epochs, 1) {
            loader.epoch = epoch
            model.train()
            var total = 0.0
            var steps = 0
            for (features, labels) in loader {
                optimizer.zeroGrad()
                let loss = try Loss.crossEntropy(model(features), labels: labels)
                try loss.backward()
                try optimizer.step()
                let value = loss.value.doubleScalars()[0]
                total += value
                steps += 1
                progress.step(epoch: epoch, step: steps, loss: value, batchSize: labels.count)
            }
            epochLoss = total / Double(max(steps, 1))
            if showProgress {
                progress.endEpoch(
                    epoch, loss: epochLoss, summary: String(format: "test accuracy %.4f", try accuracy(model, test)))
            }
        }
        return epochLoss
    }

    /// The model's logits in evaluation mode, without recording gradients.
    static func logits(_ model: Module, _ features: Tensor) throws -> Tensor {
        model.eval()
        defer { model.train() }
        return try noGrad { try model(features).value }
    }

    /// The fraction of samples whose highest logit is the label.
    static func accuracy(_ model: Module, _ data: TensorDataset) throws -> Double {
        let predicted = try logits(model, data.features).argmax(axis: 1)
        let correct = try (predicted .== data.labels).sum().item(as: Int64.self)
        return Double(correct) / Double(max(data.count, 1))
    }
}
