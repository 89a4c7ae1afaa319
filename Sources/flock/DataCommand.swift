import ArgumentParser
import FlockData

extension ParquetWriter.Compression: ExpressibleByArgument {}

/// `flock data`: tools for tables (today: the benchmark data generator).
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Tools for tables: generate benchmark data.",
        subcommands: [Generate.self])

    /// `flock data generate groupby`: writes db-benchmark's group-by table as CSV or Parquet.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a benchmark table (groupby: db-benchmark's group-by data) as CSV or Parquet.")

        @Argument(help: "The table: groupby.")
        var table: String

        @Option(name: .long, help: "Rows (db-benchmark's N).")
        var rows = 10_000_000

        @Option(name: .long, help: "Groups (db-benchmark's K).")
        var groups = 100

        @Option(name: .long, help: "The file to write: Parquet when it ends in .parquet, else CSV.")
        var out: String

        @Option(name: .long, help: "Parquet compression: none, snappy, gzip, zstd.")
        var compression: ParquetWriter.Compression = .snappy

        func run() throws {
            guard table == "groupby" else { throw ValidationError("unknown table '\(table)' (known: groupby)") }
            guard rows > 0, groups > 0 else { throw ValidationError("--rows and --groups must be positive") }
            let batches = GroupByData.generate(rows: rows, groups: groups)
            if out.lowercased().hasSuffix(".parquet") {
                try ParquetWriter.write(batches, to: out, compression: compression)
            } else {
                try CSVWriter.write(batches, to: out)
            }
            print("wrote \(rows) rows over \(groups) groups to \(out)")
        }
    }
}
