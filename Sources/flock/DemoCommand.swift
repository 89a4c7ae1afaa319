import ArgumentParser
import Flock
import FlockExamples
import Foundation

/// `flock demo`: the main job. Trains the digits MLP, shows progress, checks the test
/// accuracy, saves a checkpoint and verifies that the reloaded model predicts the same.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Train an MLP on handwritten digits (the main job).")

    @Option(help: "A digits CSV (64 pixel columns and a label); default: the copy built into flock.")
    var data: String?

    @Option(help: "Where to write the checkpoint (safetensors).")
    var checkpoint = "checkpoints/digits-mlp.safetensors"

    @Option(help: "Training epochs.")
    var epochs = 30

    func run() throws {
        print(
            "Flock demo: MLP 64-256-256-10 on UCI digits (CPU \(CPULevel.detected), GEMM \(GEMMBackend.active), \(ThreadPool.shared.threadCount) threads)"
        )
        let folder = (checkpoint as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var configuration = DigitsMLP.Configuration()
        configuration.epochs = epochs
        let report = try DigitsMLP.run(csvPath: data, checkpointPath: checkpoint, configuration: configuration)
        print(
            String(
                format: "test accuracy: %.2f%%  (%.0f training samples/s)", report.testAccuracy * 100,
                report.samplesPerSecond))
        print(
            "checkpoint: \(checkpoint); reloaded model gives identical predictions: \(report.reloadMatches ? "yes" : "NO")"
        )
        guard report.reloadMatches else { throw ValidationError("the reloaded checkpoint predicts differently") }
    }
}
