import ArgumentParser
import FlockComm
import FlockExamples
import FlockRuntime
import Foundation

/// `flock example NAME`: the other training examples (the MLP is `flock demo`) and the
/// runtime's tasks-and-actors example.
struct ExampleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example",
        abstract:
            "Run an example: lenet (CNN on digits), charlm (character transformer), digits-ddp "
            + "(the digits MLP data-parallel, under flock launch), tasks-and-actors (a local cluster) or "
            + "table-to-model (CSV -> clean and aggregate on a local cluster -> Parquet -> a trained classifier) or "
            + "wine-pipeline (CSV on a local cluster -> StringIndexer -> boosted trees chosen by CrossValidator -> "
            + "a saved pipeline).")

    @Argument(help: "lenet, charlm, digits-ddp, tasks-and-actors, table-to-model or wine-pipeline")
    var name: String

    @Option(help: "A data file instead of the built-in one: a digits CSV (lenet, digits-ddp) or a text (charlm).")
    var data: String?

    @Option(help: "Epochs (lenet, digits-ddp) or steps (charlm).")
    var length: Int?

    @Option(help: "digits-ddp: checkpoint file to write and resume from.")
    var checkpoint: String?

    @Option(help: "digits-ddp: steps between checkpoints (0: at epoch ends).")
    var checkpointEvery = 0

    @Option(help: "digits-ddp: milliseconds to pause after each step (for fault drills).")
    var stepDelayMs = 0

    @Option(help: "digits-ddp: samples per step over all ranks (divisible by the number of ranks).")
    var globalBatch = 64

    @Option(help: "digits-ddp: seconds a collective waits for a silent rank before the job fails naming it.")
    var timeout = 60

    func run() async throws {
        switch name {
        case "tasks-and-actors":
            // The workers are this binary run again with the same arguments: they serve here.
            try await Cluster.serveIfWorker(TasksAndActors.registry)
            for line in try await TasksAndActors.run() { print(line) }
        case "table-to-model":
            try await Cluster.serveIfWorker(TableToModel.registry)
            for line in try await TableToModel.run(epochs: length ?? 60).lines { print(line) }
        case "wine-pipeline":
            try await Cluster.serveIfWorker(WinePipeline.registry)
            for line in try await WinePipeline.run().lines { print(line) }
        case "lenet":
            let accuracy = try LeNetDigits.run(csvPath: data, epochs: length ?? 15)
            print(String(format: "LeNet test accuracy: %.2f%%", accuracy * 100))
        case "charlm":
            let report = try CharTransformer.run(textPath: data, steps: length ?? 1000)
            print(
                String(
                    format: "loss %.3f -> %.3f nats/char; unigram baseline %.3f", report.initialLoss, report.finalLoss,
                    report.unigramLoss))
            print("sample: \(report.sample.debugDescription)")
        case "digits-ddp":
            guard timeout > 0 else { throw ValidationError("--timeout must be positive, not \(timeout)") }
            let group = try ProcessGroup.initialize(timeout: .seconds(timeout))
            var configuration = DistributedDigits.Configuration()
            configuration.epochs = length ?? configuration.epochs
            configuration.checkpointPath = checkpoint
            configuration.checkpointEvery = checkpointEvery
            configuration.stepDelay = .milliseconds(stepDelayMs)
            configuration.globalBatchSize = globalBatch
            let report = try DistributedDigits.run(
                csvPath: data, group: group, configuration: configuration)
            if group.rank == 0 {
                print(
                    String(
                        format: "digits-ddp test accuracy: %.2f%% after %d steps", report.testAccuracy * 100,
                        report.steps))
            }
        default:
            throw ValidationError(
                "unknown example '\(name)' (known: lenet, charlm, digits-ddp, tasks-and-actors, table-to-model, wine-pipeline)"
            )
        }
    }
}
