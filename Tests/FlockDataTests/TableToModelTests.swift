import FlockTestSupport
import Testing

/// The README's data-to-model example, as a newcomer runs it.
@Suite("The table-to-model example")
struct TableToModelTests {
    @Test("CSV -> clean and aggregate on a local cluster -> Parquet -> a classifier above 85% on held-out wines")
    func example() throws {
        let (status, output) = try TestProcess.run(TestBinary.path("flock"), ["example", "table-to-model"])
        #expect(status == 0, "\(output)")
        let accuracy = output.split(separator: "\n").first { $0.hasPrefix("test accuracy") }
            .flatMap { Double($0.split(separator: " ")[2]) }
        #expect((accuracy ?? 0) > 0.85, "\(output)")
        #expect(output.contains("wrote 178 clean rows x 14 features"), "\(output)")
    }
}
