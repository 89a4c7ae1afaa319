import ArgumentParser
import FlockData
import Foundation

/// `flock sql "SELECT ... FROM 'data/*.csv'"`: runs a SQL query over files (and tables
/// named with `--table`) on all cores and prints the result as a table or writes it as CSV
/// or Parquet.
struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Run a SQL query over CSV and Parquet files: FROM 'path', 'dir/' or 'data/*.parquet'.",
        discussion: """
            Example: flock sql "SELECT id1, sum(v1) AS v1 FROM 'groupby.csv' GROUP BY id1 ORDER BY v1 DESC LIMIT 5"
            Errors point at the offending token of the query.
            """)

    @Argument(help: "The query.")
    var query: String

    @Option(name: .long, help: "A table for the query as NAME=PATH (repeatable); PATH as in FROM 'PATH'.")
    var table: [String] = []

    @Option(name: .long, help: "Rows to print (the rest are counted).")
    var maxRows = 40

    @Option(
        name: .long,
        help: "Write every row to this file (Parquet when it ends in .parquet, else CSV) instead of printing.")
    var out: String?

    @Option(
        name: .long,
        help: """
            With --out: write a dataset folder with a key=value/ folder per value of this column \
            (repeatable; CSV files when --out ends in .csv, else Parquet). It appears whole or not at all.
            """)
    var partitionBy: [String] = []

    @Flag(name: .long, help: "Print the logical and physical plan instead of running the query.")
    var explain = false

    func run() throws {
        do {
            var context = SQLContext()
            for entry in table {
                guard let split = entry.firstIndex(of: "="), split != entry.startIndex else {
                    throw ValidationError("--table takes NAME=PATH, not '\(entry)'")
                }
                let path = String(entry[entry.index(after: split)...])
                context.register(String(entry[..<split]), try TableFiles.read(path))
            }
            let frame = try context.query(query)
            if explain {
                print(frame.explain())
            } else if let out, !partitionBy.isEmpty {
                let format: DatasetWriter.Format = out.lowercased().hasSuffix(".csv") ? .csv : .parquet(.snappy)
                let files = try frame.write(to: out, DatasetWriter(format: format, partitionBy: partitionBy))
                print("wrote \(files.count) files to \(out)")
            } else if let out {
                let result = try frame.collect()
                if out.lowercased().hasSuffix(".parquet") {
                    try ParquetWriter.write([result], to: out)
                } else {
                    try CSVWriter.write([result], to: out)
                }
                print("wrote \(result.rowCount) rows to \(out)")
            } else {
                print(try frame.show(limit: maxRows))
            }
        } catch let error as DataError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
