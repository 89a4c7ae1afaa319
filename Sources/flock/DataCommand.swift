import ArgumentParser
import FlockData

/// `flock data`: tools for tables (today: the benchmark data generator).
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Tools for tables: generate benchmark data.",
        subcommands: [Generate.self])

    /// `flock data generate groupby`: writes db-benchmark's group-by table as CSV.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a benchmark table (groupby: db-benchmark's group-by data) as CSV.")

        @Argument(help: "The table: groupby.")
        var table: String

        @Option(name: .long, help: "Rows (db-benchmark's N).")
        var rows = 10_000_000

        @Option(name: .long, help: "Groups (db-benchmark's K).")
        var groups = 100

        @Option(name: .long, help: "The CSV file to write.")
        var out: String

        func run() throws {
            guard table == "groupby" else { throw ValidationError("unknown table '\(table)' (known: groupby)") }
            guard rows > 0, groups > 0 else { throw ValidationError("--rows and --groups must be positive") }
            try CSVWriter.write(GroupByData.generate(rows: rows, groups: groups), to: out)
            print("wrote \(rows) rows over \(groups) groups to \(out)")
        }
    }
}
