import ArgumentParser
import Flock
import Foundation

/// `flock demo`: the main job. Until training lands (FlockNN), it shows the tensor engine:
/// views, broadcasting, reductions, a least-squares fit solved with matmuls, and GEMM speed.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run the Flock demo.")

    func run() throws {
        print(
            "Flock tensor engine on \(CPULevel.detected), GEMM: \(GEMMBackend.active), threads: \(ThreadPool.shared.threadCount)\n"
        )
        let x = try Tensor.arange(0, 12, dtype: .float32).reshaped([3, 4])
        print("x =", x, "\n")
        print("x.T (a view, no copy) =", x.T, "\n")
        print("x + [10, 20, 30, 40] (broadcast) =", try x + Tensor([10, 20, 30, 40] as [Float]), "\n")
        print("x.sum(axes: [1]) =", try x.sum(axes: [1]))
        print("x.softmax(axis: 1) =", try x.softmax(axis: 1), "\n")

        // Fit y = 3a - 2b + 1 + noise by least squares: w = (XᵀX)⁻¹ Xᵀy via gradient steps.
        var generator = RandomGenerator(seed: 42)
        let features = try Tensor.randomNormal([1000, 2], generator: &generator)
        let noise = try Tensor.randomNormal([1000, 1], std: 0.01, generator: &generator)
        let truth = try Tensor([3, -2] as [Float], shape: [2, 1])
        let targets = try features.matmul(truth) + 1 + noise
        var weights = try Tensor.zeros([2, 1])
        var bias = 0.0
        for _ in 0..<200 {
            let error = try features.matmul(weights) + bias - targets
            let gradient = try features.T.matmul(error) / 1000.0
            weights = try weights - 0.1 * gradient
            bias -= 0.1 * (try error.mean().item(as: Float.self)).doubleValue
        }
        print(
            "least squares by gradient descent: weights", weights.flattened(), "bias", String(format: "%.3f", bias),
            "(truth: 3, -2, 1)\n")

        let n = 1024
        let a = try Tensor.randomNormal([n, n], generator: &generator)
        let b = try Tensor.randomNormal([n, n], generator: &generator)
        _ = try a.matmul(b)
        let seconds = try measure(repeats: 5) { _ = try a.matmul(b) }.best
        print("matmul \(n)x\(n): \(String(format: "%.1f", 2 * Double(n * n * n) / seconds / 1e9)) GFLOP/s")
    }
}
