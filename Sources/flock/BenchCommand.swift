import ArgumentParser
import Flock

/// `flock bench AREA`: prints a table of measurements and optionally writes JSON records.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Run benchmarks for an area (tensor, train).")

    @Argument(help: "The area to benchmark: tensor or train.")
    var area: String

    @Option(name: .long, help: "Write the results as a JSON list of {name, unit, value} records.")
    var json: String?

    @Option(name: .long, help: "Timed repetitions per measurement (after one warm-up).")
    var repeats: Int = 5

    @Option(name: .long, help: "bench train: only the cases whose name (lenet5-1x28x28/t1) contains this text.")
    var only: String?

    @Flag(name: .long, help: "Smaller sizes, for a quick check.")
    var quick = false

    func run() throws {
        var report = BenchReport()
        report.printHeader()
        switch area {
        case "tensor": try TensorBench(repeats: repeats, quick: quick).run(into: &report)
        case "train": try TrainBench(repeats: repeats, quick: quick, only: only).run(into: &report)
        default: throw ValidationError("unknown benchmark area '\(area)' (known: tensor, train)")
        }
        if let json {
            try report.write(to: json)
            print("wrote \(report.records.count) records to \(json)")
        }
    }
}
