import FlockTestSupport
import Testing

/// The README's FlockML example, as a newcomer runs it.
@Suite("The wine-pipeline example")
struct WinePipelineTests {
    @Test(
        "CSV on a local cluster -> indexer -> boosted trees cross-validated on the workers -> saved, loaded, above 0.95 ROC area"
    )
    func example() throws {
        let (status, output) = try TestProcess.run(TestBinary.path("flock"), ["example", "wine-pipeline"])
        #expect(status == 0, "\(output)")
        let auc = output.split(separator: "\n").first { $0.hasPrefix("held-out ROC area") }
            .flatMap { Double($0.split(separator: " ")[3]) }
        #expect((auc ?? 0) > 0.95, "\(output)")
        #expect(output.contains("saved the pipeline (indexer + best trees)"), "\(output)")
        #expect(output.split(separator: "\n").filter { $0.contains(" leaves, step ") }.count == 4, "\(output)")
        #expect(output.contains("on 2 workers: the in-process scores and trees, bit for bit"), "\(output)")
    }
}
