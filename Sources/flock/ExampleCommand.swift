import ArgumentParser
import FlockExamples
import Foundation

/// `flock example NAME`: the other training examples (the MLP is `flock demo`).
struct ExampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example",
        abstract: "Run a training example: lenet (CNN on digits) or charlm (character transformer).")

    @Argument(help: "lenet or charlm")
    var name: String

    @Option(help: "Epochs (lenet) or steps (charlm).")
    var length: Int?

    func run() throws {
        switch name {
        case "lenet":
            let accuracy = try LeNetDigits.run(csvPath: "Data/digits.csv", epochs: length ?? 15)
            print(String(format: "LeNet test accuracy: %.2f%%", accuracy * 100))
        case "charlm":
            let report = try CharTransformer.run(textPath: "Data/gpl-3.0.txt", steps: length ?? 1000)
            print(
                String(
                    format: "loss %.3f -> %.3f nats/char; unigram baseline %.3f", report.initialLoss, report.finalLoss,
                    report.unigramLoss))
            print("sample: \(report.sample.debugDescription)")
        default:
            throw ValidationError("unknown example '\(name)' (known: lenet, charlm)")
        }
    }
}
