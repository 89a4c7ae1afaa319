import Flock
import FlockExamples
import Foundation

/// `flock bench train`: training throughput (samples/s) of (a) the digits MLP, (b) an MLP
/// 784-1024-1024-10 with Adam, (c) LeNet-5 on 1x28x28, with 1 and 2 threads, and the
/// FLOP rate reached. With `--peers`, PyTorch trains the same models on the same batches
/// (`Benchmarks/peers/train.py`) between two rounds of Flock's, and each `vs-pytorch`
/// ratio is Flock's median over both rounds against PyTorch's median of this run.
struct TrainBench {
    let repeats: Int
    let quick: Bool
    /// Runs only the cases whose full name (`lenet5-1x28x28/t1`) contains this text.
    let only: String?
    let peers: Bool
    let python: String

    /// One benchmark case: a model, an optimizer and a fixed batch.
    struct Case {
        let name: String
        let model: Module
        let optimizer: Optimizer
        let features: Tensor
        let labels: Tensor
        /// Forward + backward FLOPs per sample.
        let flopsPerSample: Double
    }

    func run(into report: inout BenchReport) throws {
        defer { GEMMBackend.setThreadCount(ThreadPool.defaultThreadCount) }
        let steps = quick ? 5 : 30
        for threads in [1, 2] {
            GEMMBackend.setThreadCount(threads)
            let selected = try cases().filter { only.map("\($0.name)/t\(threads)".contains) ?? true }
            guard !selected.isEmpty else { continue }
            var times = try round(selected, steps: steps)
            var pytorch: [String: Double] = [:]
            if peers {
                pytorch = try peerRates(selected, threads: threads, steps: steps)
                for (name, more) in try round(selected, steps: steps) { times[name, default: []] += more }
            }
            for benchCase in selected {
                let name = "train/\(benchCase.name)/t\(threads)"
                let samples = Double(steps * benchCase.labels.count)
                let timing = Timing(times: times[benchCase.name] ?? [])
                let median = samples / timing.median
                report.add(
                    name, unit: "samples/s", median: median, best: samples / timing.best,
                    note: "batch \(benchCase.labels.count)\(peers ? ", 2 rounds" : "")")
                report.addDerived(
                    name + "/gflops", unit: "GFLOP/s", value: median * benchCase.flopsPerSample / 1e9,
                    note: "achieved (fwd+bwd)")
                if let peer = pytorch["\(benchCase.name)/t\(threads)"] {
                    report.addRatio(
                        name + "/vs-pytorch", value: median / peer, note: "PyTorch \(Int(peer)) samples/s, this run")
                }
            }
        }
    }

    /// One round of Flock's: each case's run times (seconds for `steps` steps).
    private func round(_ selected: [Case], steps: Int) throws -> [String: [Double]] {
        var times: [String: [Double]] = [:]
        for benchCase in selected {
            times[benchCase.name] = try sampleTimes(repeats: repeats) {
                for _ in 0..<steps { try step(benchCase) }
            }
        }
        return times
    }

    /// PyTorch's median samples/s per case (`digits-mlp/t1`) on `threads` threads.
    private func peerRates(_ selected: [Case], threads: Int, steps: Int) throws -> [String: Double] {
        let results = try PeerScript.run(
            python, script: "Benchmarks/peers/train.py",
            arguments: [
                "--threads", "\(threads)", "--repeats", "\(repeats)", "--steps", "\(steps)", "--cases",
                selected.map(\.name).joined(separator: ","),
            ])
        var rates: [String: Double] = [:]
        for result in PeerScript.measurements(results, requirements: "requirements.txt") {
            if let name = result["case"] as? String, let median = result["median"] as? Double { rates[name] = median }
        }
        return rates
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
                flopsPerSample: mlpFlops([64, 256, 256, 10])),
            Case(
                name: "mlp-784-1024-1024-10", model: wide, optimizer: Adam(wide.parameters()),
                features: try Tensor.randomNormal([128, 784], generator: &generator),
                labels: try Tensor.randint(0, 10, shape: [128], generator: &generator),
                flopsPerSample: mlpFlops([784, 1024, 1024, 10])),
            Case(
                name: "lenet5-1x28x28", model: lenet,
                optimizer: SGD(lenet.parameters(), learningRate: 0.01, momentum: 0.9),
                features: try Tensor.randomNormal([64, 1, 28, 28], generator: &generator),
                labels: try Tensor.randint(0, 10, shape: [64], generator: &generator), flopsPerSample: lenetFlops),
        ]
    }
}
