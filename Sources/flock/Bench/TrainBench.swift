import Flock
import FlockExamples
import Foundation

/// `flock bench train`: training throughput (samples/s) of (a) the digits MLP, (b) an MLP
/// 784-1024-1024-10 with Adam, (c) LeNet-5 on 1x28x28, with 1 and 2 threads, next to the
/// PyTorch 2 (CPU) numbers the issue gives for this machine and the FLOP floor.
struct TrainBench {
    let repeats: Int
    let quick: Bool
    /// Runs only the cases whose full name (`lenet5-1x28x28/t1`) contains this text.
    let only: String?

    /// One benchmark case: a model, an optimizer and a fixed batch.
    struct Case {
        let name: String
        let model: Module
        let optimizer: Optimizer
        let features: Tensor
        let labels: Tensor
        /// PyTorch samples/s with 1 and 2 threads (from the issue).
        let pytorch: (Double, Double)
        /// Forward + backward FLOPs per sample.
        let flopsPerSample: Double
    }

    func run(into report: inout BenchReport) throws {
        defer { GEMMBackend.setThreadCount(ThreadPool.defaultThreadCount) }
        for threads in [1, 2] {
            GEMMBackend.setThreadCount(threads)
            for benchCase in try cases() where only.map({ "\(benchCase.name)/t\(threads)".contains($0) }) ?? true {
                let steps = quick ? 5 : 30
                let batch = benchCase.labels.count
                let timing = try measure(repeats: repeats) {
                    for _ in 0..<steps { try step(benchCase) }
                }
                let median = Double(steps * batch) / timing.median
                let best = Double(steps * batch) / timing.best
                report.add(
                    "train/\(benchCase.name)/t\(threads)", unit: "samples/s", median: median, best: best,
                    note: "batch \(batch)")
                let peer = threads == 1 ? benchCase.pytorch.0 : benchCase.pytorch.1
                report.addRatio(
                    "train/\(benchCase.name)/t\(threads)/vs-pytorch", value: median / peer,
                    note: "PyTorch 2: \(Int(peer)) samples/s")
                report.addDerived(
                    "train/\(benchCase.name)/t\(threads)/gflops", unit: "GFLOP/s",
                    value: median * benchCase.flopsPerSample / 1e9, note: "achieved (fwd+bwd)")
            }
        }
    }

    private func step(_ benchCase: Case) throws {
        benchCase.optimizer.zeroGrad()
        let loss = try Loss.crossEntropy(benchCase.model(benchCase.features), labels: benchCase.labels)
        try loss.backward()
        try benchCase.optimizer.step()
    }

    private func cases() throws -> [Case] {
        GlobalRandom.seed(0)
        var generator = RandomGenerator(seed: 9)
        let digits = DigitsMLP.makeModel()
        let wide = Sequential(Linear(784, 1024), ReLU(), Linear(1024, 1024), ReLU(), Linear(1024, 10))
        let lenet = Sequential(
            Conv2d(1, 6, kernelSize: (5, 5), padding: (2, 2)), ReLU(), MaxPool2d(kernel: (2, 2)),
            Conv2d(6, 16, kernelSize: (5, 5)), ReLU(), MaxPool2d(kernel: (2, 2)),
            Flatten(), Linear(400, 120), ReLU(), Linear(120, 84), ReLU(), Linear(84, 10))
        func mlpFlops(_ sizes: [Int]) -> Double {
            6 * Double(zip(sizes, sizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 })
        }
        // LeNet-5: conv1 28*28*6*25, conv2 10*10*16*150, fc 400*120 + 120*84 + 84*10 MACs.
        let lenetFlops = 6 * Double(28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10)
        return [
            Case(
                name: "digits-mlp", model: digits,
                optimizer: SGD(digits.parameters(), learningRate: 0.05, momentum: 0.9),
                features: try Tensor.randomUniform([64, 64], generator: &generator),
                labels: try Tensor.randint(0, 10, shape: [64], generator: &generator),
                pytorch: (80_600, 75_000), flopsPerSample: mlpFlops([64, 256, 256, 10])),
            Case(
                name: "mlp-784-1024-1024-10", model: wide, optimizer: Adam(wide.parameters()),
                features: try Tensor.randomNormal([128, 784], generator: &generator),
                labels: try Tensor.randint(0, 10, shape: [128], generator: &generator),
                pytorch: (5_500, 8_100), flopsPerSample: mlpFlops([784, 1024, 1024, 10])),
            Case(
                name: "lenet5-1x28x28", model: lenet,
                optimizer: SGD(lenet.parameters(), learningRate: 0.01, momentum: 0.9),
                features: try Tensor.randomNormal([64, 1, 28, 28], generator: &generator),
                labels: try Tensor.randint(0, 10, shape: [64], generator: &generator),
                pytorch: (10_500, 14_900), flopsPerSample: lenetFlops),
        ]
    }
}
