import Foundation
import Testing

@testable import Flock

/// The README's examples, kept here verbatim (paths adjusted) so they keep compiling and
/// running as the API changes.
@Suite("README examples")
struct ReadmeExampleTests {
    @Test("the tensor example runs")
    func tensorExample() throws {
        var generator = RandomGenerator(seed: 42)
        let x = try Tensor.randomNormal([64, 784], generator: &generator)
        let w = try Tensor.randomNormal([784, 10], std: 0.01, generator: &generator)
        let logits = try x.matmul(w)
        let p = try logits.softmax(axis: -1)
        let labels = try p.argmax(axis: 1)
        let firstEight = try x[.range(0..<8)]
        let centered = try x - x.mean(axes: [0], keepDims: true)
        #expect(labels.shape == [64] && firstEight.shape == [8, 784])
        #expect(Swift.abs(try centered.mean().item(as: Float.self)) < 1e-4)
    }

    @Test("the training example runs one epoch and saves a checkpoint")
    func trainingExample() throws {
        try GlobalRandom.withScope(seed: 0) {
            GlobalRandom.seed(0)
            let model = Sequential(Linear(64, 256), ReLU(), Linear(256, 10))
            let optimizer = Adam(model.parameters(), learningRate: 1e-3)
            let table = try CSVTable(contentsOf: dataFolder + "/digits.csv")
            let loader = try DataLoader(TensorDataset(features: table.features, labels: table.labels), batchSize: 64)
            for (x, y) in loader {
                optimizer.zeroGrad()
                let loss = try Loss.crossEntropy(model(x), labels: y)
                try loss.backward()
                try optimizer.step()
            }
            let path = temporaryPath("model.safetensors")
            try TrainingCheckpoint.save(model: model, optimizer: optimizer, step: 1, to: path)
            #expect(FileManager.default.fileExists(atPath: path))
        }
    }
}
