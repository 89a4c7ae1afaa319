import FlockTestSupport
import Foundation
import Testing

@Suite("flock sql on the command line")
struct SQLCommandTests {
    @Test("a query over a generated CSV prints its table; a bad one exits 1 pointing at the token")
    func commandLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("flock-sql-cli-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("groupby.csv").path
        let generate = try TestProcess(
            TestBinary.path("flock"), ["data", "generate", "groupby", "--rows", "2000", "--groups", "4", "--out", csv])
        #expect(generate.finish(within: 60) == 0, "\(generate.output)")
        let good = try TestProcess(
            TestBinary.path("flock"),
            ["sql", "SELECT id1, count(*) AS n FROM '\(csv)' GROUP BY id1 ORDER BY id1", "--max-rows", "10"])
        #expect(good.finish(within: 60) == 0, "\(good.output)")
        #expect(good.output.contains("id1   | n    "), "\(good.output)")
        #expect(good.output.contains("id004 |"), "\(good.output)")
        let bad = try TestProcess(TestBinary.path("flock"), ["sql", "SELECT id1, sum(v7) FROM '\(csv)' GROUP BY id1"])
        #expect(bad.finish(within: 60) == 1, "\(bad.output)")
        #expect(bad.output.contains("no column \"v7\" (did you mean \"v1\"?)"), "\(bad.output)")
        #expect(bad.output.contains("\n                  ^"), "\(bad.output)")
        let dataset = folder.appendingPathComponent("by-id1").path
        let write = try TestProcess(
            TestBinary.path("flock"),
            ["sql", "SELECT id1, id4, v1 FROM '\(csv)'", "--out", dataset, "--partition-by", "id1"])
        #expect(write.finish(within: 60) == 0, "\(write.output)")
        #expect(write.output.contains("wrote 4 files to \(dataset)"), "\(write.output)")
        let again = try TestProcess(
            TestBinary.path("flock"), ["sql", "SELECT count(*) AS n FROM '\(dataset)' WHERE id1 = 'id001'"])
        #expect(again.finish(within: 60) == 0, "\(again.output)")
        #expect(again.output.contains("n  "), "\(again.output)")
    }
}
